/* f2client.c — the public F2 client: a connection to each of the two
 * servers, the parameters both announce, one query = two messages and two
 * acknowledgements, and the status request. The message layout and the
 * servers' side are in f2net.c and f2server.c; this file only frames
 * (4-byte little-endian length, then a type byte) and checks answers. */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "../core/core.h"
#include "pm_int.h"

/* A status line or parameter line is short; a reply longer than this is
 * not a server of ours. */
#define LINE_MAX_BYTES 63

struct vigil_pm_f2_client {
	int fd[2];
	vigil_pm_f2_params par;
};

/* One request frame: type byte + body, as the servers read it. */
static int request(int fd, char type, const uint8_t *body, size_t n)
{
	uint8_t *w = vigil__malloc(n + 1);
	if (!w)
		return VIGIL_ENOMEM;
	w[0] = (uint8_t)type;
	if (n)
		memcpy(w + 1, body, n);
	int r = vigil__pm_f2_send(fd, w, n + 1);
	vigil__free(w);
	return r ? VIGIL_EIO : VIGIL_OK;
}

/* A reply that must be a short text line, NUL-terminated into line. */
static int reply_line(int fd, char line[LINE_MAX_BYTES + 1])
{
	uint8_t *m;
	size_t n;
	if (vigil__pm_f2_recv(fd, &m, &n))
		return VIGIL_EIO;
	int rc = n <= LINE_MAX_BYTES ? VIGIL_OK : VIGIL_ECORRUPT;
	if (!rc) {
		memcpy(line, m, n);
		line[n] = 0;
	}
	vigil__free(m);
	return rc;
}

static int dial(const char *spec)
{
	struct addrinfo *ai = NULL;
	int fd = -1;

	if (!spec || vigil__pm_resolve(spec, &ai, 0))
		return -1;
	for (struct addrinfo *a = ai; a && fd < 0; a = a->ai_next) {
		fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen)) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(ai);
	return fd;
}

static int ask_params(int fd, vigil_pm_f2_params *p)
{
	char line[LINE_MAX_BYTES + 1];
	int rc = request(fd, 'I', NULL, 0);
	if (!rc)
		rc = reply_line(fd, line);
	if (!rc && sscanf(line, "%u %u %u %u", &p->B, &p->S, &p->k, &p->T) != 4)
		rc = VIGIL_ECORRUPT;
	return rc;
}

int vigil_pm_f2_client_attach(vigil_pm_f2_client **out, int custodian_fd, int platform_fd,
			      unsigned timeout_ms)
{
	vigil_pm_f2_client *c = NULL;
	vigil_pm_f2_params p1;
	int rc = VIGIL_EINVAL;

	if (out)
		*out = NULL;
	if (!out || custodian_fd < 0 || platform_fd < 0 || !vigil_pm_enabled())
		goto out;
	rc = VIGIL_ENOMEM;
	c = vigil__calloc(1, sizeof *c);
	if (!c)
		goto out;
	c->fd[0] = custodian_fd;
	c->fd[1] = platform_fd;
	custodian_fd = platform_fd = -1;
	if (!timeout_ms)
		timeout_ms = 20000;
	struct timeval tv = {(time_t)(timeout_ms / 1000), (suseconds_t)(timeout_ms % 1000) * 1000};
	for (int p = 0; p < 2; p++) {
		setsockopt(c->fd[p], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		setsockopt(c->fd[p], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	}
	if ((rc = ask_params(c->fd[1], &p1)) || (rc = ask_params(c->fd[0], &c->par)))
		goto out;
	/* Queries are sized by B and S: two servers that disagree would
	 * each reject half of every query, or worse, accept it out of step. */
	if (memcmp(&p1, &c->par, sizeof p1) || !c->par.k) {
		rc = VIGIL_ECORRUPT;
		goto out;
	}
	*out = c;
	c = NULL;
out:
	if (custodian_fd >= 0)
		close(custodian_fd);
	if (platform_fd >= 0)
		close(platform_fd);
	vigil_pm_f2_client_close(c);
	return rc;
}

int vigil_pm_f2_client_open(vigil_pm_f2_client **out, const char *custodian,
			    const char *platform, unsigned timeout_ms)
{
	if (out)
		*out = NULL;
	if (!out || !custodian || !platform || !vigil_pm_enabled())
		return VIGIL_EINVAL;
	int f0 = dial(custodian), f1 = f0 >= 0 ? dial(platform) : -1;
	if (f0 < 0 || f1 < 0) {
		if (f0 >= 0)
			close(f0);
		return VIGIL_EIO;
	}
	return vigil_pm_f2_client_attach(out, f0, f1, timeout_ms);
}

void vigil_pm_f2_client_close(vigil_pm_f2_client *c)
{
	if (!c)
		return;
	for (int p = 0; p < 2; p++)
		if (c->fd[p] >= 0)
			close(c->fd[p]);
	vigil__free(c);
}

const vigil_pm_f2_params *vigil_pm_f2_client_params(const vigil_pm_f2_client *c)
{
	return c ? &c->par : NULL;
}

int vigil_pm_f2_query_make(const vigil_pm_f2_params *p, const uint8_t x[32],
			   const char *account, const uint8_t *id, size_t id_len,
			   const uint8_t *evidence, size_t ev_len, uint8_t *msg[2], size_t len[2])
{
	if (msg)
		msg[0] = msg[1] = NULL;
	if (!p || !x || !vigil_pm_account_ok(account) || strlen(account) > 64 || !id || !id_len ||
	    (!evidence && ev_len) || !msg || !len || !vigil_pm_enabled() || p->B < 1 || p->B > 1024 || p->S > 4096)
		return VIGIL_EINVAL;
	return vigil__pm_f2_client_query(x, account, id, id_len, evidence ? evidence : id,
					 ev_len, p->B, p->S, msg, len);
}

int vigil_pm_f2_client_send(vigil_pm_f2_client *c, uint8_t *const msg[2], const size_t len[2],
			    int acks[2])
{
	int rc = VIGIL_OK, a[2] = {-1, -1};

	if (!c || !msg || !len || !msg[0] || !msg[1])
		return VIGIL_EINVAL;
	for (int p = 0; p < 2 && !rc; p++)
		rc = request(c->fd[p], 'Q', msg[p], len[p]);
	for (int p = 0; p < 2 && !rc; p++) {
		uint8_t *m;
		size_t n;
		if (vigil__pm_f2_recv(c->fd[p], &m, &n)) {
			rc = VIGIL_EIO;
			break;
		}
		if (n == 1)
			a[p] = m[0];
		else
			rc = VIGIL_ECORRUPT;
		vigil__free(m);
	}
	if (acks) {
		acks[0] = a[0];
		acks[1] = a[1];
	}
	if (!rc)
		rc = a[0] ? a[0] : a[1];
	return rc;
}

int vigil_pm_f2_client_query(vigil_pm_f2_client *c, const uint8_t x[32], const char *account,
			     const uint8_t *id, size_t id_len, const uint8_t *evidence,
			     size_t ev_len)
{
	uint8_t *msg[2];
	size_t len[2];
	if (!c)
		return VIGIL_EINVAL;
	int rc = vigil_pm_f2_query_make(&c->par, x, account, id, id_len, evidence, ev_len, msg,
					len);
	if (!rc)
		rc = vigil_pm_f2_client_send(c, msg, len, NULL);
	if (msg[0]) {
		free(msg[0]);
		free(msg[1]);
	}
	return rc;
}

int vigil_pm_f2_client_status(vigil_pm_f2_client *c, int party, const char *account, int *over,
			      size_t *images, size_t *opened, vigil_pm_f2_evidence_cb cb,
			      void *user)
{
	char line[LINE_MAX_BYTES + 1];
	size_t al = account ? strlen(account) : 0, ni = 0, no = 0;
	int ov = -1, rc;

	if (!c || (party != 0 && party != 1) || al < 1 || al > 64)
		return VIGIL_EINVAL;
	if ((rc = request(c->fd[party], 'S', (const uint8_t *)account, al)) ||
	    (rc = reply_line(c->fd[party], line)))
		return rc;
	if (sscanf(line, "%d %zu %zu", &ov, &ni, &no) != 3 || no > ni)
		return VIGIL_ECORRUPT;
	/* Every announced payload is read, also after cb stopped, so the
	 * connection stays in step for the next request. */
	int stop = 0;
	for (size_t i = 0; i < no; i++) {
		uint8_t *m;
		size_t n;
		if (vigil__pm_f2_recv(c->fd[party], &m, &n))
			return VIGIL_EIO;
		if (cb && !stop)
			stop = cb(user, m, n);
		vigil__free(m);
	}
	if (over)
		*over = ov;
	if (images)
		*images = ni;
	if (opened)
		*opened = no;
	return stop;
}
