/* csend: a bursty UDP sender for scripts/bench-wakeup.sh. Sends RATE
 * datagrams a second of 64 bytes to 127.0.0.1:PORT for SECONDS, in bursts
 * of BURST datagrams, one sendmmsg per burst, sleeping to an absolute
 * clock between bursts. Prints the datagrams the kernel accepted. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
	if (argc != 5) {
		fprintf(stderr, "usage: csend PORT RATE SECONDS BURST\n");
		return 2;
	}
	int port = atoi(argv[1]), burst = atoi(argv[4]);
	double rate = atof(argv[2]), secs = atof(argv[3]);
	if (burst < 1 || burst > 1024 || rate <= 0) {
		fprintf(stderr, "csend: BURST 1..1024, RATE > 0\n");
		return 2;
	}
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		perror("connect");
		return 1;
	}
	static char payload[64];
	struct iovec iov = {payload, sizeof payload};
	struct mmsghdr *h = calloc(burst, sizeof *h);
	for (int i = 0; i < burst; i++) {
		h[i].msg_hdr.msg_iov = &iov;
		h[i].msg_hdr.msg_iovlen = 1;
	}
	long long bursts = (long long)(rate * secs / burst);
	double gap = burst / rate;
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	unsigned long long sent = 0;
	for (long long b = 0; b < bursts; b++) {
		int k = sendmmsg(fd, h, burst, 0);
		if (k > 0)
			sent += k;
		long long ns = t.tv_nsec + (long long)(gap * 1e9);
		t.tv_sec += ns / 1000000000LL;
		t.tv_nsec = ns % 1000000000LL;
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL);
	}
	printf("%llu\n", sent);
	return 0;
}
