/**
 * Stands in for the ssh2 package in the container bundle (build.mjs `alias`). docker-modem loads ssh2 as
 * it starts, for an ssh:// support Cronium does not use: ssh:// goes through the user's own ssh
 * (sshDial.ts). The real package carries native code, which the .vsix does not ship.
 */
export class Client {
  constructor() {
    throw new Error("ssh2 is not part of Cronium's bundle: ssh:// Docker hosts go through ssh (sshDial.ts)");
  }
}
