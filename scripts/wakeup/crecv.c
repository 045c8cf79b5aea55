/* crecv: the plainest blocking UDP receiver, the baseline udprx's receive
 * loop is measured against (scripts/bench-wakeup.sh). One socket, one
 * thread, recvmmsg(64, MSG_WAITFORONE) on a blocking socket: one system
 * call per burst, and no poller at all. Runs until SIGINT or SIGTERM,
 * then prints the datagrams it received. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define VLEN 64
#define SZ 2048

static volatile sig_atomic_t stop;
static void onsig(int sig) { (void)sig; stop = 1; }

int main(int argc, char **argv) {
	if (argc != 2) {
		fprintf(stderr, "usage: crecv PORT\n");
		return 2;
	}
	struct sigaction sa_stop = {.sa_handler = onsig}; /* no SA_RESTART */
	sigaction(SIGINT, &sa_stop, NULL);
	sigaction(SIGTERM, &sa_stop, NULL);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	int rcvbuf = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[1]))};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		perror("bind");
		return 1;
	}
	static char bufs[VLEN][SZ];
	struct iovec iov[VLEN];
	struct mmsghdr h[VLEN];
	struct sockaddr_in from[VLEN];
	for (int i = 0; i < VLEN; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = SZ;
	}
	unsigned long long n = 0;
	while (!stop) {
		for (int i = 0; i < VLEN; i++) {
			memset(&h[i].msg_hdr, 0, sizeof h[i].msg_hdr);
			h[i].msg_hdr.msg_iov = &iov[i];
			h[i].msg_hdr.msg_iovlen = 1;
			h[i].msg_hdr.msg_name = &from[i];
			h[i].msg_hdr.msg_namelen = sizeof from[i];
		}
		int k = recvmmsg(fd, h, VLEN, MSG_WAITFORONE, NULL);
		if (k > 0)
			n += k;
		else if (errno != EAGAIN && errno != EINTR) {
			perror("recvmmsg");
			return 1;
		}
	}
	printf("%llu\n", n);
	return 0;
}
