// Runs before `pack` and `publish` in packages/*. npm keeps "workspace:*" in
// the tarball's package.json, which no installer outside this workspace can
// resolve (npm i of such a tarball fails); pnpm replaces it with the version.
// So only pnpm may pack: `pnpm run pack` at the root.
const agent = process.env.npm_config_user_agent || '';
if (!agent.startsWith('pnpm/')) {
  console.error(
    `${process.env.npm_package_name}: pack with pnpm (\`pnpm run pack\` at the repository root), not ${agent.split(' ')[0] || 'this tool'}: ` +
      'it would leave "workspace:*" in the tarball\'s dependencies, and the tarball could not be installed.',
  );
  process.exit(1);
}
