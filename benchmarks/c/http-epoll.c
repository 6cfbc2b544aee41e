/*
 * The practical ceiling for an HTTP "hello" responder on this machine: one
 * thread, level-triggered epoll, accept4/read/write, no allocation per
 * request. It frames requests the simplest correct way for wrk's traffic
 * (keep-alive GETs without bodies, possibly pipelined): one response per
 * "\r\n\r\n". Built and run by `pnpm bench` (gcc -O2 into benchmarks/out).
 *
 *   http-epoll <port>   prints "http-epoll listening on 127.0.0.1:<port>"
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_EVENTS 256
#define BUF_BYTES 65536
#define MAX_FDS 65536

static const char RESPONSE[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!";

/* Bytes of "\r\n\r\n" already matched at the end of the previous read, per fd:
 * a request head may be split across reads. */
static unsigned char matched[MAX_FDS];
static char out[BUF_BYTES * (sizeof RESPONSE) / 16];

static void die(const char *what) {
  perror(what);
  exit(1);
}

static void serve(int epfd, int fd, char *buf) {
  for (;;) {
    ssize_t n = read(fd, buf, BUF_BYTES);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n <= 0) {
      epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
      close(fd);
      matched[fd] = 0;
      return;
    }
    size_t responses = 0;
    unsigned m = matched[fd];
    static const char END[] = "\r\n\r\n";
    for (ssize_t i = 0; i < n; i++) {
      if (buf[i] == END[m]) {
        if (++m == 4) {
          responses++;
          m = 0;
        }
      } else {
        m = buf[i] == '\r' ? 1 : 0;
      }
    }
    matched[fd] = (unsigned char)m;
    size_t len = 0;
    for (size_t r = 0; r < responses; r++) {
      if (len + sizeof RESPONSE - 1 > sizeof out) {
        if (write(fd, out, len) < 0) break;
        len = 0;
      }
      memcpy(out + len, RESPONSE, sizeof RESPONSE - 1);
      len += sizeof RESPONSE - 1;
    }
    /* A hello response is small: the socket buffer takes it whole. */
    if (len > 0 && write(fd, out, len) < 0 && errno != EAGAIN) {
      epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
      close(fd);
      matched[fd] = 0;
      return;
    }
    if (n < BUF_BYTES) return;
  }
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: http-epoll <port>\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  int port = atoi(argv[1]);
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (lfd < 0) die("socket");
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) < 0) die("bind");
  if (listen(lfd, 4096) < 0) die("listen");
  int epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) die("epoll_create1");
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = lfd};
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &ev) < 0) die("epoll_ctl");
  printf("http-epoll listening on 127.0.0.1:%d\n", port);
  fflush(stdout);
  static char buf[BUF_BYTES];
  struct epoll_event events[MAX_EVENTS];
  for (;;) {
    int n = epoll_wait(epfd, events, MAX_EVENTS, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    for (int i = 0; i < n; i++) {
      int fd = events[i].data.fd;
      if (fd == lfd) {
        for (;;) {
          int c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (c < 0) break;
          if (c >= MAX_FDS) {
            close(c);
            continue;
          }
          setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          struct epoll_event cev = {.events = EPOLLIN, .data.fd = c};
          epoll_ctl(epfd, EPOLL_CTL_ADD, c, &cev);
        }
      } else {
        serve(epfd, fd, buf);
      }
    }
  }
}
