#!/bin/sh
# Answers with the caller's source address, nothing else (no newline).
a=${REMOTE_ADDR#[}
a=${a%]}
a=${a#::ffff:}
printf 'Content-Type: text/plain\r\n\r\n%s' "$a"
