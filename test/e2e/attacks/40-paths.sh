# shellcheck shell=bash
# 40-paths.sh - paths root's restore must not follow: symlinks planted in
# an image set, and at the pidfile's temporary name (sourced by
# tests/45-attacks.sh).
# shellcheck source=test/e2e/trust.sh
. "$E2E_DIR/trust.sh"

# In copies of a set of their own, the user replaces the inventory, a core
# and a page image with symlinks to a root-only file.
atk_image_symlinks() {
	local w=$ATK_HOME/isl img=$ATK_HOME/isl.img pid secret name copy worked=0
	root_secret secret
	atk_set "$w" "$img"
	pid=$ATK_PID
	for name in inventory.img "core-$pid.img" "pages-$pid.img"; do
		copy=$ATK_HOME/isl-${name%%[-.]*}.img
		{ as_user cp -a "$img" "$copy" && as_user ln -sf "$secret" "$copy/$name"; } ||
			fail "cannot plant $copy/$name"
		opened_during "$secret" "$CKPT" restore --images "$copy" --detach
		[[ -e /proc/$pid ]] && track_pid "$pid"
		if ((OPENED > 0)); then
			log "root's restore read the root-only $secret through $copy/$name"
			worked=1
		fi
		if ((CK_RC == 0)); then
			log "root's restore of $copy succeeded"
			kill_restored "$pid"
			wait_gone "$pid"
			worked=1
		elif ((!worked)); then
			ck_assert_failed "restore of a set with a symlink at $name"
		fi
	done
	exit "$worked"
}

# The user plants a symlink at the pidfile's temporary name, in a
# directory of theirs, to a root-only file; root restores (a set of its
# own) with --pidfile there.
atk_pidfile_tmp() {
	local w=$ATK_HOME/pf run=$ATK_HOME/run dir img pid secret sum
	root_secret secret
	sum=$(sha256sum <"$secret")
	atk_spawn "$w" 41-trust
	pid=$TARGET_PID
	new_tmp dir
	img=$dir/img
	atk_dump "$pid" "$img"
	{ as_user mkdir "$run" && as_user ln -s "$secret" "$run/pid.tmp"; } ||
		fail "cannot plant $run/pid.tmp"
	ck restore --images "$img" --detach --pidfile "$run/pid"
	[[ -e /proc/$pid ]] && track_pid "$pid"
	if [[ $(sha256sum <"$secret") != "$sum" ]]; then
		log "root's restore wrote the root-only $secret through $run/pid.tmp: $(head -c 20 "$secret" | od -c | head -1)"
		exit 1
	fi
	if ((CK_RC != 0)); then
		ck_assert_failed "restore --pidfile"
	else
		[[ $(cat "$run/pid") == "$pid" ]] || fail "pidfile $run/pid holds '$(cat "$run/pid")', want $pid"
		[[ -L $run/pid.tmp ]] || fail "the planted $run/pid.tmp is gone"
		kill_restored "$pid"
	fi
}

attack image-symlinks atk_image_symlinks
attack pidfile-tmp atk_pidfile_tmp
