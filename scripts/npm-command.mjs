// How to run npm from a script: under npm (`npm run ...`), npm_execpath is npm's own CLI
// script, run with this Node and no shell; otherwise `npm` from PATH (npm.cmd on Windows
// needs a shell).

/** `[command, args, { shell }]` for spawn/spawnSync to run `npm <args>`. */
export function npmCommand(args) {
  const cli = process.env.npm_execpath
  if (cli && /npm-cli\.c?js$/.test(cli)) return [process.execPath, [cli, ...args], { shell: false }]
  return ['npm', args, { shell: process.platform === 'win32' }]
}
