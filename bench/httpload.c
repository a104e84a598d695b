/* httpload — a small keep-alive HTTP/1.1 load generator for the benches
 * that need one where wrk is not installed (bench_instances.sh): one
 * thread, CONNS connections spread round-robin over the PORTS given (as a
 * load balancer in front of several instances would), each sending POST
 * PATH with the next line of BODIES as its body and waiting for the whole
 * answer (Content-Length) before the next. Runs SECONDS, then prints
 *   requests=N seconds=S qps=Q non2xx=M errors=E
 *
 *   httpload SECONDS CONNS PATH BODIES AUTH PORT [PORT...] */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 256
#define MAX_BODIES 4096
#define RBUF 65536

typedef struct conn {
	int fd, port;
	char *req;
	size_t req_len, sent;
	char rbuf[RBUF];
	size_t rlen;
} conn;

static char *bodies[MAX_BODIES];
static int nbodies, next_body;
static const char *path, *auth;
static long requests, non2xx, errors;

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int dial(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		perror("httpload: connect");
		exit(1);
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static void prepare(conn *c)
{
	const char *b = bodies[next_body++ % nbodies];
	int n;

	free(c->req);
	n = asprintf(&c->req,
		     "POST %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAuthorization: Bearer %s\r\n"
		     "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
		     path, c->port, auth, strlen(b), b);
	if (n < 0)
		exit(1);
	c->req_len = (size_t)n;
	c->sent = 0;
	c->rlen = 0;
}

/* 1 when rbuf holds one whole answer (then counted), 0 if more is needed,
 * -1 on a malformed one. */
static int answered(conn *c)
{
	char *end, *cl;
	size_t hl, blen;
	int status;

	c->rbuf[c->rlen] = 0;
	if (!(end = strstr(c->rbuf, "\r\n\r\n")))
		return c->rlen >= RBUF - 1 ? -1 : 0;
	hl = (size_t)(end - c->rbuf) + 4;
	if (!(cl = strcasestr(c->rbuf, "\r\nContent-Length:")) || cl > end)
		return -1;
	blen = strtoul(cl + 17, NULL, 10);
	if (hl + blen > RBUF - 1)
		return -1;
	if (c->rlen < hl + blen)
		return 0;
	if (sscanf(c->rbuf, "HTTP/1.%*d %d", &status) != 1)
		return -1;
	requests++;
	if (status < 200 || status > 299)
		non2xx++;
	return 1;
}

int main(int argc, char **argv)
{
	static conn cs[MAX_CONNS];
	struct epoll_event ev, evs[64];
	double secs, t0, t1;
	int nconn, ep;
	FILE *f;
	char line[4096];

	if (argc < 7) {
		fprintf(stderr, "usage: httpload SECONDS CONNS PATH BODIES AUTH PORT [PORT...]\n");
		return 2;
	}
	secs = atof(argv[1]);
	nconn = atoi(argv[2]);
	path = argv[3];
	auth = argv[5];
	if (nconn < 1 || nconn > MAX_CONNS || !(f = fopen(argv[4], "r"))) {
		fprintf(stderr, "httpload: bad CONNS or BODIES\n");
		return 2;
	}
	while (nbodies < MAX_BODIES && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (*line && !(bodies[nbodies++] = strdup(line)))
			return 1;
	}
	fclose(f);
	if (!nbodies)
		return 2;
	if ((ep = epoll_create1(0)) < 0)
		return 1;
	for (int i = 0; i < nconn; i++) {
		cs[i].port = atoi(argv[6 + i % (argc - 6)]);
		cs[i].fd = dial(cs[i].port);
		prepare(&cs[i]);
		ev.events = EPOLLOUT;
		ev.data.ptr = &cs[i];
		epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev);
	}
	t0 = now();
	while ((t1 = now()) - t0 < secs) {
		int n = epoll_wait(ep, evs, 64, 100);
		for (int i = 0; i < n; i++) {
			conn *c = evs[i].data.ptr;
			ssize_t k;
			if (c->sent < c->req_len) {
				k = send(c->fd, c->req + c->sent, c->req_len - c->sent, MSG_NOSIGNAL);
				if (k < 0 && errno != EAGAIN) {
					errors++;
					goto redial;
				}
				if (k > 0)
					c->sent += (size_t)k;
				if (c->sent == c->req_len) {
					ev.events = EPOLLIN;
					ev.data.ptr = c;
					epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
				}
				continue;
			}
			k = recv(c->fd, c->rbuf + c->rlen, RBUF - 1 - c->rlen, 0);
			if (k <= 0) {
				if (k < 0 && errno == EAGAIN)
					continue;
				errors++;
				goto redial;
			}
			c->rlen += (size_t)k;
			switch (answered(c)) {
			case 0:
				continue;
			case -1:
				errors++;
				goto redial;
			}
			prepare(c);
			ev.events = EPOLLOUT;
			ev.data.ptr = c;
			epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
			continue;
redial:
			epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
			close(c->fd);
			c->fd = dial(c->port);
			prepare(c);
			ev.events = EPOLLOUT;
			ev.data.ptr = c;
			epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
		}
	}
	printf("requests=%ld seconds=%.2f qps=%.1f non2xx=%ld errors=%ld\n", requests, t1 - t0,
	       (double)requests / (t1 - t0), non2xx, errors);
	return errors > requests / 100 ? 1 : 0;
}
