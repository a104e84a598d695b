/*
 * vigil/server.h — `vigil serve` as a library: the HTTP service of
 * src/server (libmicrohttpd), its settings table, and the API-key helpers.
 *
 * Implemented by libvigil_server (src/server), a second library on top of
 * libvigil; a program that links it (the `vigil` tool) includes this header
 * directly — it is not part of vigil.h, since most users of libvigil do
 * not want an HTTP server and its dependencies.
 *
 * One server runs per process: vigil_server_run() blocks in the calling
 * thread, takes SIGTERM/SIGINT (drain, then return) and SIGHUP (reload)
 * itself, and returns when the server has stopped.
 */
#ifndef VIGIL_SERVER_H
#define VIGIL_SERVER_H

#include "../vigil.h"

#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One setting of the server: a config-file key, a command-line flag, and
 * what the help, man page and docs say of it. The table is static. */
typedef struct vigil_server_setting {
	const char *key;  /* config-file key ("max_body") */
	const char *flag; /* command-line flag without dashes ("max-body") */
	const char *arg;  /* argument name for help: VALUE, N, BYTES, LEVEL, LIST */
	const char *def;  /* the default, as text */
	const char *help; /* one or more sentences */
	int reloadable;   /* 1: SIGHUP applies a new value from the file */
} vigil_server_setting;

/* The settings, in table order; *n receives their number. */
const vigil_server_setting *vigil_server_settings(size_t *n);

/* A server's configuration: defaults, then settings given by flag, then
 * the config file (for keys no flag set). Owned by the caller. */
typedef struct vigil_server_conf vigil_server_conf;

int vigil_server_conf_new(vigil_server_conf **out); /* VIGIL_ENOMEM or OK */
void vigil_server_conf_free(vigil_server_conf *c);
/* Sets a setting by flag or key, as a command-line flag would (flags win
 * over the config file; a LIST flag given again appends). VIGIL_EINVAL
 * with a message in err for an unknown name or a bad value. */
int vigil_server_conf_set(vigil_server_conf *c, const char *name,
			  const char *value, char *err, size_t errcap);
/* The config file read when the server starts and again on SIGHUP.
 * VIGIL_EINVAL if the path is too long. The file is read by _run. */
int vigil_server_conf_file(vigil_server_conf *c, const char *path, char *err,
			   size_t errcap);

/* Reads the config file named by vigil_server_conf_file now (for programs
 * that need the settings without running the server, e.g. `vigil report`;
 * vigil_server_run reads it itself). Keys set by flags are kept. OK if no
 * file was named; VIGIL_EINVAL with "PATH:LINE: reason" in err. */
int vigil_server_conf_load(vigil_server_conf *c, char *err, size_t errcap);
/* A text setting's value by key or flag ("ncmec_url"); NULL for a numeric
 * setting or an unknown name. The string belongs to c. */
const char *vigil_server_conf_get(const vigil_server_conf *c,
				  const char *key);
/* A numeric setting's value (its default if neither flag nor file set it)
 * by key or flag ("evidence_retention_days"); VIGIL_EINVAL for a text
 * setting or an unknown name. */
int vigil_server_conf_get_num(const vigil_server_conf *c, const char *key,
			      int64_t *out);

/* Runs the server until SIGTERM or SIGINT, on the store of the `db`
 * setting (default: vigil_store_default_path). Returns the process exit
 * status: 0 after a clean drain, 1 if it could not start or failed, 2 for
 * a bad configuration (file or values). Messages go to standard error. */
int vigil_server_run(vigil_server_conf *c);

/* The settings as a Markdown table (the keys section of docs/server.md). */
void vigil_server_config_doc(FILE *f);
/* Every route, "METHOD PATTERN" a line (for the OpenAPI check). */
void vigil_server_routes(FILE *f);

/* ------------------------------------------------------------ API keys */

#define VIGIL_TOKEN_MAX 64 /* a token's text with its NUL fits in this */

/* A new random API token ("vgl_" + 43 base64url characters) in token (cap
 * >= VIGIL_TOKEN_MAX) and its SHA-256 digest, which is what the store keeps
 * (vigil_key_add). VIGIL_EINVAL if cap is too small. The caller wipes the
 * token once it has been shown. */
int vigil_server_key_token(char *token, size_t cap, uint8_t digest[32]);
/* "submit,admin" -> a role mask; -1 if a name is unknown. Roles: submit,
 * review, admin, metrics. */
int vigil_server_roles_parse(const char *s);
/* A role mask -> "submit,admin" in buf (returned). */
const char *vigil_server_roles_format(unsigned roles, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif /* VIGIL_SERVER_H */
