import { bindingName } from '@reactor/fds';

export { expectNoFdLeaks, openFds, sleep } from '@reactor/testing';

/** The binding the suite runs under, for test titles. */
export const binding = bindingName();
