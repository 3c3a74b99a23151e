/*
 * fleet.h: `egressd fleet`, the fleet correlator's run mode (fleet.c).
 */
#ifndef EGRESSD_FLEET_H
#define EGRESSD_FLEET_H

/* Runs `egressd fleet` with its arguments (argv[0] is "fleet"); returns
 * the exit status: 0, 1 a runtime error, 2 a usage or configuration
 * error. */
int fleet_command(int argc, char **argv);

#endif
