/**
 * Helpers the workspace's test suites share: each package's tests import
 * them from here, never from another package's test folder.
 */
export { memoryCgroupSkipReason, removeCgroups } from './cgroups';
export { expectNoFdLeaks, openFds, sleep } from './fds';
export { ARGUMENT_ERROR_CODES, expectArgumentError, expectTyped, isIntIn, RUNS, splitAt } from './properties';
export { client, requireTool, rssKiB, startNodeServer, waitFor, type ServerProcess } from './server-process';
