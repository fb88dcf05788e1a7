#!/bin/bash
# 23-restore-corrupt-pages.sh - one byte flipped in pages-*.img (in the
# middle, then the last one): restore fails cleanly, leaves no process and
# does not touch the images.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

w=$T/w
make_image "$w" "$T/images"
pid=$IMG_PID
pages=$(one_file "$T/images" 'pages-*.img')
name=${pages##*/}
size=$(stat -c %s "$pages")
for off in $((size / 2)) $((size - 1)); do
	d=$T/flip-$off
	cp -a "$T/images" "$d"
	flip_byte "$d/$name" "$off"
	expect_restore_fail "$d" "$pid" "with byte $off of $name flipped"
done
# The same without --detach: ckpt must fail, not wait for a broken process.
expect_restore_fail "$T/flip-$((size / 2))" "$pid" "(no --detach) with byte $((size / 2)) of $name flipped" attached
control_restore "$T/images" "$pid" "$w"
assert_no_strays
