#!/bin/bash
# 22-restore-truncated-image.sh - restore from images with pages-*.img (and
# core-*.img, mm-*.img) cut short fails cleanly, leaves no process and does
# not touch the images.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

w=$T/w
make_image "$w" "$T/images"
pid=$IMG_PID
pages=$(one_file "$T/images" 'pages-*.img')
size=$(stat -c %s "$pages")
for cut in 1 4096 $((size / 2)); do
	d=$T/pages-cut-$cut
	cp -a "$T/images" "$d"
	truncate -s "-$cut" "$d/${pages##*/}"
	expect_restore_fail "$d" "$pid" "with ${pages##*/} $cut bytes short"
done
for glob in 'core-*.img' 'mm-*.img'; do
	f=$(one_file "$T/images" "$glob")
	d=$T/cut-${f##*/}
	cp -a "$T/images" "$d"
	truncate -s -1 "$d/${f##*/}"
	expect_restore_fail "$d" "$pid" "with ${f##*/} 1 byte short"
done
control_restore "$T/images" "$pid" "$w"
assert_no_strays
