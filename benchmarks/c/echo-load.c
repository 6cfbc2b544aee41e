/*
 * Echo load generator: CONNS connections to an echo server, each sending a
 * SIZE-byte message and waiting for all of it to come back before sending the
 * next (one message in flight per connection). Single-threaded, epoll.
 * Every echoed byte is compared with what was sent.
 *
 *   echo-load HOST PORT CONNS SECONDS SIZE
 *
 * Prints one JSON line: {"roundTrips":N,"seconds":S,"perSec":R,"errors":E}.
 * Exit status 1 on a usage error, a connection that fails to open, or
 * echoed bytes that differ (a server bug, not a load figure).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct conn {
  int fd;
  size_t received; /* bytes of the current message's echo read */
};

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: echo-load HOST PORT CONNS SECONDS SIZE\n");
    return 1;
  }
  const char *host = argv[1];
  int port = atoi(argv[2]), nconns = atoi(argv[3]);
  double seconds = atof(argv[4]);
  size_t size = (size_t)atol(argv[5]);
  if (port <= 0 || nconns <= 0 || seconds <= 0 || size == 0) {
    fprintf(stderr, "echo-load: bad arguments\n");
    return 1;
  }
  char *msg = malloc(size), *buf = malloc(size);
  for (size_t i = 0; i < size; i++) msg[i] = (char)('a' + i % 26);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
  if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
    fprintf(stderr, "echo-load: bad host %s\n", host);
    return 1;
  }
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct conn *conns = calloc(nconns, sizeof *conns);
  for (int i = 0; i < nconns; i++) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
      fprintf(stderr, "echo-load: connect: %s\n", strerror(errno));
      return 1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    conns[i].fd = fd;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &conns[i]};
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  }
  long long round_trips = 0, errors = 0;
  double start = now_s(), end = start + seconds;
  /* Blocking writes of the whole message: one message per connection is in flight at once. */
  for (int i = 0; i < nconns; i++) {
    if (write(conns[i].fd, msg, size) != (ssize_t)size) errors++;
  }
  struct epoll_event events[256];
  while (now_s() < end) {
    int n = epoll_wait(ep, events, 256, 100);
    for (int i = 0; i < n; i++) {
      struct conn *c = events[i].data.ptr;
      ssize_t r = read(c->fd, buf, size - c->received);
      if (r <= 0) {
        if (r < 0 && errno == EAGAIN) continue;
        fprintf(stderr, "echo-load: read: %s\n", r == 0 ? "connection closed" : strerror(errno));
        return 1;
      }
      if (memcmp(buf, msg + c->received, (size_t)r) != 0) {
        fprintf(stderr, "echo-load: the echo differs from what was sent\n");
        return 1;
      }
      c->received += (size_t)r;
      if (c->received == size) {
        round_trips++;
        c->received = 0;
        if (write(c->fd, msg, size) != (ssize_t)size) errors++;
      }
    }
  }
  double elapsed = now_s() - start;
  printf("{\"roundTrips\":%lld,\"seconds\":%.3f,\"perSec\":%.1f,\"errors\":%lld}\n", round_trips, elapsed, round_trips / elapsed, errors);
  for (int i = 0; i < nconns; i++) close(conns[i].fd);
  close(ep);
  free(conns);
  free(msg);
  free(buf);
  return 0;
}
