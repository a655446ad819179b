#ifndef DISCOVERY_SDNOTIFY_H
#define DISCOVERY_SDNOTIFY_H

/*
 * Tells systemd how a Type=notify service is doing: "READY=1" once the
 * program serves, "STOPPING=1" when it begins to stop (sd_notify(3)). Sends
 * one datagram to the socket named by NOTIFY_SOCKET (a path, or "@name" in
 * the abstract namespace); without that variable (not started by systemd,
 * or not as Type=notify) it does nothing.
 *
 * Best effort, so it returns nothing: a failure is logged, and systemd,
 * never hearing READY=1, fails the start after its timeout, which is what
 * it should see.
 */
void sdnotify_state(const char *state);

#endif
