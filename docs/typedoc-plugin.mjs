// TypeDoc plugin for the API reference (typedoc.json "plugin"):
//
// 1. Concerns. Every exported item is placed in a category by the file that
//    declares it (and kernel constants by their prefix), so the reference
//    reads by concern — the loop, sources, networking, fds, errors — instead
//    of TypeDoc's flat lists by kind. The table lives here, not as @category
//    tags spread over the sources; an exported item whose file is not in the
//    table fails the build, naming the file to add.
// 2. Document titles. A project document without a `title` in its front
//    matter is named by its first `# heading` (both reports are RESULTS.md).
import { CommentTag, Converter, ReflectionKind } from 'typedoc';

/** package → [test on the package-relative path, category]; the first match wins. */
const BY_FILE = {
  '@reactor/reactor': [
    [/^src\/errors\.ts$/, 'Errors'],
    [/^src\/(reactor|stats|logger|source|node-poll)\.ts$/, 'Loop'],
    [/^src\/(io-watch|timers|signals|children|wakeup|path-watch|memory-pressure)\.ts$/, 'Sources'],
    [/^src\/(net\/|(connection|listener|connect|udp|duplex|cluster)\.ts$)/, 'Networking'],
  ],
  '@reactor/fds': [
    [/^src\/(errors|system-error|errno)\.ts$/, 'Errors'],
    [/^src\/(fd|epoll|eventfd|timerfd|signalfd|pidfd|pipe|inotify|psi)\.ts$/, 'File descriptors'],
    [/^src\/(socket|address|adopt|fd-passing|socket-info)\.ts$/, 'Sockets'],
    [/^src\/signals\.ts$/, 'Signals and processes'],
    [/^src\/ffi\/(index|types)\.ts$/, 'FFI binding'],
    [/^src\/constants\.ts$/, 'constants'],
    [/^src\/validate\.ts$/, 'Argument checks'],
  ],
  '@reactor/systemd': [
    [/^src\/errors\.ts$/, 'Errors'],
    [/^src\/(notify|watchdog|env)\.ts$/, 'Service manager'],
    [/^src\/listen-fds\.ts$/, 'Socket activation'],
  ],
};

/** Items whose concern is not their file's. */
const BY_NAME = {
  UnsupportedPlatformError: 'Errors',
  SIGNAL_MAX: 'Constants: signals',
  EVENTFD_MAX: 'Constants: eventfd',
};

/** Kernel constants (constants.ts) by prefix, as the man pages group them. */
const CONSTANTS = [
  [/^(O_|F_|FD_)/, 'Constants: fcntl'],
  [/^EPOLL/, 'Constants: epoll'],
  [/^(EFD_|EVENTFD_)/, 'Constants: eventfd'],
  [/^(CLOCK_|TFD_)/, 'Constants: timerfd and clocks'],
  [/^(SFD_|SIG_|SIGNALFD_|SIGSET_|SI_)/, 'Constants: signals'],
  [/^(CLD_|PIDFD_|P_|WEXITED$|WNOHANG$|WNOWAIT$|SIGINFO_SIZE$)/, 'Constants: processes'],
  [/^(AF_|SOCK_|SOL_|IPPROTO_|SO_|TCP_|IPV6_|SHUT_|MSG_|SOCKADDR_|SCM_|MSGHDR_|CMSGHDR_|UNIX_PATH_MAX$|IOV_MAX$)/, 'Constants: sockets'],
  [/^(IN_|INOTIFY_)/, 'Constants: inotify'],
];

/** The category of a module's top-level child, or an Error saying what to add to the tables. */
function concernOf(project, reflection) {
  if (BY_NAME[reflection.name] !== undefined) return BY_NAME[reflection.name];
  const id = project.getSymbolIdFromReflection(reflection);
  const rules = id && BY_FILE[id.packageName];
  const found = rules?.find(([test]) => test.test(id.packagePath));
  if (found === undefined) {
    return new Error(`docs/typedoc-plugin.mjs: no concern for ${reflection.name} (${id?.packageName} ${id?.packagePath}); add its file to BY_FILE`);
  }
  if (found[1] !== 'constants') return found[1];
  const constant = CONSTANTS.find(([test]) => test.test(reflection.name));
  if (constant === undefined) return new Error(`docs/typedoc-plugin.mjs: no constants group for ${reflection.name}; add its prefix to CONSTANTS`);
  return constant[1];
}

/**
 * Add `@category name` to the comment TypeDoc reads categories from (a
 * function's is on its signature). An item with no comment gets none: a
 * comment holding only the tag would pass the notDocumented validation.
 */
function tag(reflection, name) {
  const holder = reflection.comment !== undefined ? reflection : reflection.signatures?.[0];
  holder?.comment?.blockTags.push(new CommentTag('@category', [{ kind: 'text', text: name }]));
}

export function load(app) {
  app.converter.on(Converter.EVENT_CREATE_DOCUMENT, (_context, document) => {
    if (document.frontmatter?.title !== undefined) return;
    const first = document.content.find((part) => part.kind === 'text')?.text ?? '';
    const heading = /^#\s+(.+)$/m.exec(first);
    if (heading !== null) document.name = heading[1].trim();
  });

  // Before TypeDoc's own CategoryPlugin (priority -200) sorts children into categories.
  app.converter.on(
    Converter.EVENT_RESOLVE_END,
    (context) => {
      const project = context.project;
      for (const module of project.getReflectionsByKind(ReflectionKind.Module)) {
        for (const child of module.children ?? []) {
          if (child.kindOf(ReflectionKind.Reference)) continue;
          const concern = concernOf(project, child);
          if (concern instanceof Error) app.logger.error(concern.message);
          else tag(child, concern);
        }
      }
    },
    100,
  );
}
