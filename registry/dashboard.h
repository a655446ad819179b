#ifndef DISCOVERY_REGISTRY_DASHBOARD_H
#define DISCOVERY_REGISTRY_DASHBOARD_H

/* The page served at GET /: a live view built from /services and /events. */
extern const char dashboard_html[];

#endif
