#!/bin/sh
# a second program, for files with two executables
exit 0
