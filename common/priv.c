/*
 * priv.c: see priv.h. The order matters: the bounding set can only be
 * cut while CAP_SETPCAP is still held (as root), PR_SET_KEEPCAPS keeps the
 * permitted set across setuid(), and capset() then leaves exactly the kept
 * capability permitted and effective.
 */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "priv.h"

static int
last_cap(void)
{
	FILE *fp = fopen("/proc/sys/kernel/cap_last_cap", "r");
	int n = CAP_LAST_CAP;

	if (fp != NULL) {
		if (fscanf(fp, "%d", &n) != 1)
			n = CAP_LAST_CAP;
		fclose(fp);
	}
	return n;
}

int
priv_drop_caps(int keep_net_admin, char *err, size_t errlen)
{
	struct __user_cap_header_struct hdr;
	struct __user_cap_data_struct data[2];

	memset(&hdr, 0, sizeof(hdr));
	memset(data, 0, sizeof(data));
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	if (syscall(SYS_capget, &hdr, data) == -1) {
		snprintf(err, errlen, "capget: %s", strerror(errno));
		return -1;
	}
	data[0].permitted &= keep_net_admin ? 1u << CAP_NET_ADMIN : 0;
	data[0].effective = data[0].permitted;
	data[0].inheritable = 0;
	data[1].permitted = data[1].effective = data[1].inheritable = 0;
	if (syscall(SYS_capset, &hdr, data) == -1) {
		snprintf(err, errlen, "capset: %s", strerror(errno));
		return -1;
	}
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	return 0;
}

int
priv_user_uid(const char *user, uid_t *uid)
{
	struct passwd *pw = getpwnam(user);

	if (pw == NULL)
		return -1;
	*uid = pw->pw_uid;
	return 0;
}

int
priv_drop(const char *user, int keep_net_admin, char *err, size_t errlen)
{
	struct __user_cap_header_struct hdr;
	struct __user_cap_data_struct data[2];
	struct passwd *pw;
	uid_t uid;
	gid_t gid;
	int cap;

	if ((pw = getpwnam(user)) == NULL) {
		snprintf(err, errlen, "user %s: no such user", user);
		return -1;
	}
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	if (geteuid() != 0) {
		if (geteuid() == uid)
			return 0;	/* already that user */
		snprintf(err, errlen, "user %s: only root can switch users", user);
		return -1;
	}
	for (cap = 0; cap <= last_cap(); cap++) {
		if (keep_net_admin && cap == CAP_NET_ADMIN)
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == -1 && errno != EINVAL) {
			snprintf(err, errlen, "dropping capability %d: %s", cap,
			    strerror(errno));
			return -1;
		}
	}
	if (keep_net_admin && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == -1) {
		snprintf(err, errlen, "PR_SET_KEEPCAPS: %s", strerror(errno));
		return -1;
	}
	if (setgroups(0, NULL) == -1 || setresgid(gid, gid, gid) == -1 ||
	    setresuid(uid, uid, uid) == -1) {
		snprintf(err, errlen, "becoming %s: %s", user, strerror(errno));
		return -1;
	}
	if (uid != 0 && setuid(0) != -1) {
		snprintf(err, errlen, "becoming %s: root could be regained", user);
		return -1;
	}
	memset(&hdr, 0, sizeof(hdr));
	memset(data, 0, sizeof(data));
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	if (keep_net_admin) {
		data[0].permitted = data[0].effective = 1u << CAP_NET_ADMIN;
	}
	if (syscall(SYS_capset, &hdr, data) == -1) {
		snprintf(err, errlen, "capset: %s", strerror(errno));
		return -1;
	}
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		snprintf(err, errlen, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
		return -1;
	}
	return 0;
}
