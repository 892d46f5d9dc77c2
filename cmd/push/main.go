// Command push puts Kasm agent hosts onto VLANs and egress IPs.
package main

func main() {}
