import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const SCRIPT = join(__dirname, "../../scripts/system-deps.sh");

/**
 * scripts/system-deps.sh (npm's pretest) against stub `id`, `sudo` and `apt-get` programs placed first on PATH,
 * so no test installs anything.
 */
function sandbox(opts: { uid: number; sudo: boolean }) {
  const dir = mkdtempSync(join(tmpdir(), "system-deps-"));
  const bin = join(dir, "bin");
  const log = join(dir, "apt.log");
  const stub = (name: string, body: string) => {
    writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(dir, name), 0o755);
  };
  mkdirSync(bin);
  stub("id", `echo ${opts.uid}`);
  stub("sudo", opts.sudo ? '[ "$1" = -n ] && shift; exec "$@"' : "exit 1");
  // apt-get logs its command; `install` creates each package's program as bin/<package>.
  stub(
    "apt-get",
    `echo "$*" >> ${log}\nif echo "$*" | grep -q " install "; then for p in "$@"; do case "$p" in -*|install) ;; *) touch ${bin}/$p; chmod +x ${bin}/$p;; esac; done; fi`,
  );
  const run = (...packages: string[]) =>
    spawnSync("bash", [SCRIPT, ...packages.map((p) => (p.includes("=") ? p : `${p}=${join(bin, p)}`))], {
      encoding: "utf8",
      env: { PATH: `${dir}:/usr/bin:/bin` },
    });
  const aptCalls = () => (existsSync(log) ? readFileSync(log, "utf8").trim().split("\n") : []);
  return { run, aptCalls };
}

describe("scripts/system-deps.sh", function () {
  it("does nothing, without apt-get, when every package's file is there", function () {
    const { run, aptCalls } = sandbox({ uid: 1000, sudo: false });
    const result = run("sh=/bin/sh");
    expect([result.status, result.stdout, result.stderr]).to.deep.equal([0, "", ""]);
    expect(aptCalls()).to.deep.equal([]);
  });

  it("as root, updates the package lists once and installs only what is missing", function () {
    const { run, aptCalls } = sandbox({ uid: 0, sudo: false });
    const result = run("sh=/bin/sh", "chromium", "mosquitto");
    expect(result.status, result.stderr).to.equal(0);
    const calls = aptCalls();
    expect(calls).to.have.length(2);
    expect(calls[0]).to.match(/ update -qq$/);
    expect(calls[1]).to.match(/ install -y -qq chromium mosquitto$/);
    expect(run("chromium", "mosquitto").status).to.equal(0);
    expect(aptCalls()).to.have.length(2);
  });

  it("installs through sudo when it works without a password", function () {
    const { run, aptCalls } = sandbox({ uid: 1000, sudo: true });
    expect(run("mosquitto").status).to.equal(0);
    expect(aptCalls()[1]).to.match(/ install -y -qq mosquitto$/);
  });

  it("stops at once with the exact command when it may not install", function () {
    const { run, aptCalls } = sandbox({ uid: 1000, sudo: false });
    const result = run("chromium", "mosquitto");
    expect(result.status).to.equal(1);
    expect(result.stderr).to.include("sudo apt-get update && sudo apt-get install -y chromium mosquitto");
    expect(aptCalls()).to.deep.equal([]);
  });

  it("rejects an argument without the file it installs", function () {
    const { run } = sandbox({ uid: 0, sudo: false });
    const result = run("chromium=");
    expect(result.status).to.equal(2);
    expect(spawnSync("bash", [SCRIPT, "chromium"], { encoding: "utf8" }).stderr).to.include(
      "bad argument 'chromium': expected <package>=<file it installs>",
    );
  });
});
