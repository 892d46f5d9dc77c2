// Command push-helper converges one agent host; push uploads and runs it.
package main

func main() {}
