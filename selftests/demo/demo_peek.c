// SPDX-License-Identifier: GPL-2.0
/*
 * demo_peek PID: what TLSOCK_INFO says about the TLS sessions of a process that never asked for
 * TLS. A transparent rule gave its TCP sockets the tlsock ULP behind its back; this program
 * borrows each of them with pidfd_getfd() (root, or ptrace rights over PID) and asks the
 * kernel, as the process itself could.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "demo.h"

static int pidfd_open_(pid_t pid)
{
	return syscall(SYS_pidfd_open, pid, 0);
}

static int pidfd_getfd_(int pidfd, int fd)
{
	return syscall(SYS_pidfd_getfd, pidfd, fd, 0);
}

/* "ADDR:PORT" of an AF_INET or AF_INET6 address into buf */
static void addr_str(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	unsigned int port = 0;

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)ss;

		inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof(ip));
		port = ntohs(sin->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)ss;

		inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof(ip));
		port = ntohs(sin6->sin6_port);
	}
	snprintf(buf, len, "%s:%u", ip, port);
}

/* One of the process's descriptors: -1 if it is no TCP socket with the tlsock ULP, else 0 */
static int peek_fd(const char *comm, int pidfd, int target)
{
	struct sockaddr_storage local, peer;
	socklen_t len;
	char ulp[16] = "", a[80], b[80], who[256];
	int fd, listening = 0, ret = -1;

	fd = pidfd_getfd_(pidfd, target);
	if (fd < 0)
		return -1;
	len = sizeof(ulp);
	if (getsockopt(fd, IPPROTO_TCP, TCP_ULP, ulp, &len) || strcmp(ulp, "tlsock"))
		goto out;
	len = sizeof(listening);
	getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len);
	memset(&local, 0, sizeof(local));
	memset(&peer, 0, sizeof(peer));
	len = sizeof(local);
	getsockname(fd, (struct sockaddr *)&local, &len);
	addr_str(&local, a, sizeof(a));
	if (listening) {
		printf("%s fd %d: listener %s, ULP tlsock: every connection it accepts is TLS\n",
		       comm, target, a);
		ret = 0;
		goto out;
	}
	len = sizeof(peer);
	getpeername(fd, (struct sockaddr *)&peer, &len);
	addr_str(&peer, b, sizeof(b));
	snprintf(who, sizeof(who), "%s fd %d (%s -> %s)", comm, target, a, b);
	demo_print_info(who, fd);
	ret = 0;
out:
	close(fd);
	return ret;
}

int main(int argc, char **argv)
{
	char path[64], comm[32] = "?", link[64];
	struct dirent *de;
	int pidfd, found = 0;
	FILE *f;
	DIR *d;
	pid_t pid;

	if (argc != 2 || (pid = atoi(argv[1])) <= 0) {
		fprintf(stderr, "usage: demo_peek PID\n");
		return 2;
	}
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "r");
	if (f) {
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
	}
	pidfd = pidfd_open_(pid);
	if (pidfd < 0) {
		perror("pidfd_open");
		return 1;
	}
	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d) {
		perror(path);
		return 1;
	}
	while ((de = readdir(d))) {
		char p[PATH_MAX];
		ssize_t n;

		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", path, de->d_name);
		n = readlink(p, link, sizeof(link) - 1);
		if (n < 0)
			continue;
		link[n] = '\0';
		if (strncmp(link, "socket:", 7))
			continue;
		if (!peek_fd(comm, pidfd, atoi(de->d_name)))
			found++;
	}
	closedir(d);
	close(pidfd);
	if (!found) {
		printf("%s (pid %d): no tlsock socket\n", comm, pid);
		return 1;
	}
	return 0;
}
