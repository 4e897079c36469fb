/*
 * wd_health.h: GET /healthz (API.md §3): "200 ok" when the database
 * answers, 503 database-unavailable otherwise.
 */
#ifndef WD_HEALTH_H
#define WD_HEALTH_H

#include "wd_err.h"
#include "wd_http.h"

/* A wd_route handler; ctx is the binary's struct wd_db. */
enum wd_err	wd_health_serve(void *ctx, struct wd_req *rq,
		    const void *arg);

#endif
