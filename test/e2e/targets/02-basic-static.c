/* 02-basic-static.c - 01-basic.c linked -static (the Makefile adds -static
 * because the name contains "static"); same checks. */
#include "01-basic.c"
