/* daemon_cgroup.h: where a jshimd started by a launcher lives (its own cgroup, or systemd). */
#ifndef JSHIM_DAEMON_CGROUP_H
#define JSHIM_DAEMON_CGROUP_H

#include <stdbool.h>

#define JSHIM_DAEMON_CGROUP "jshimd"
#define JSHIM_DAEMON_UNIT "jshimd.service"

/* In the forked daemon child: moves the calling process into <mount>/jshimd of every cgroup
 * hierarchy listed in /proc/self/cgroup (v1 hierarchies and the v2 unified one; both on a
 * hybrid host), creating the directory if missing (cpuset: cpus and mems copied from the
 * parent). The launcher's cgroup (podman's /libpod_parent/conmon or libpod-conmon-<id>.scope,
 * CRI-O's crio-conmon-<id>.scope) is thus left behind. Each failure is logged; never fatal.
 * Returns the number of hierarchies it could not move to (0 = all moved). */
int jshim_cgroup_move_own(void);

/* True if systemd runs (/run/systemd/system exists) and the unit file is installed in one of
 * systemd's unit directories. */
bool jshim_systemd_unit_installed(const char *unit);

#endif
