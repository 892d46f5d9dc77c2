#!/bin/sh
# Answers with the caller's source address, nothing else.
printf "Content-Type: text/plain\r\n\r\n%s" "$REMOTE_ADDR"
