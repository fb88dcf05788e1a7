#!/bin/bash
# 21-restore-missing-image.sh - restore from an image set with one file
# missing (each file in turn, inventory.img included) fails cleanly, leaves
# no process and does not touch the images; the full set still restores.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
e2e_init

w=$T/w
make_image "$w" "$T/images"
pid=$IMG_PID
mapfile -t files < <(cd "$T/images" && compgen -G '*.img' | LC_ALL=C sort)
((${#files[@]} >= 2)) || fail "the image set has ${#files[@]} *.img files: ${files[*]}"
log "image files: ${files[*]}"
for f in "${files[@]}"; do
	d=$T/without-$f
	cp -a "$T/images" "$d"
	rm -- "$d/$f"
	expect_restore_fail "$d" "$pid" "without $f"
done
control_restore "$T/images" "$pid" "$w"
assert_no_strays
