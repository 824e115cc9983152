/*
 * One validation failure, as a reply's details.failures lists it: where in
 * the input ("override.headers.a", "is_enabled", a query parameter) and
 * why. Filled by the parsers (app/json, app/api), sent by app/http.
 */
#ifndef ENVINT_FAILURE_H
#define ENVINT_FAILURE_H

struct failure {
	const char *path;
	const char *message;
};

#endif
