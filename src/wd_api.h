/*
 * wd_api.h: the account route handlers, one per binary. Each serves the
 * HBP v2 REST shape (API.md §5) and the Hasura Action shape (§6).
 */
#ifndef WD_API_H
#define WD_API_H

#include "wd_http.h"
#include "wd_svc.h"

void	wd_api_register(struct wd_svc *s, struct wd_req *rq);
void	wd_api_login(struct wd_svc *s, struct wd_req *rq);
void	wd_api_refresh(struct wd_svc *s, struct wd_req *rq);
void	wd_api_logout(struct wd_svc *s, struct wd_req *rq);
void	wd_api_activate(struct wd_svc *s, struct wd_req *rq);
void	wd_api_user(struct wd_svc *s, struct wd_req *rq);
void	wd_api_jwks(struct wd_svc *s, struct wd_req *rq);

#endif
