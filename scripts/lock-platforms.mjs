#!/usr/bin/env node
// Completes package-lock.json with the other platforms' optional binary packages (rollup, foundry).
//
// Why: this machine's npm registry mirror lacks some of them (e.g. @foundry-rs/anvil-darwin-arm64, or
// @rollup/rollup-darwin-x64 at the version rollup pins). `npm install` then leaves them out of the lockfile,
// and `npm ci` refuses the lockfile ("Missing: <pkg>@ from lock file"). Each missing package gets an entry
// with its os/cpu/libc (from the registry when it has that version, else from the package's name), so npm ci
// accepts the lockfile and skips packages for other platforms without fetching them.
//
// Run after `npm install` changes the lockfile: `node scripts/lock-platforms.mjs`.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";

const LOCK = "package-lock.json";
const lock = JSON.parse(readFileSync(LOCK, "utf8"));
const packages = lock.packages;

const CPU = { amd64: "x64", x64: "x64", arm64: "arm64", arm: "arm", ia32: "ia32", loong64: "loong64" };
Object.assign(CPU, { ppc64: "ppc64", riscv64: "riscv64", s390x: "s390x" });

/** `@rollup/rollup-linux-arm64-musl` -> { os: linux, cpu: arm64, libc: musl }; null when not a platform package. */
function platformOf(name) {
  const parts = name.split("/").pop().split("-");
  for (let i = 0; i < parts.length - 1; i++) {
    const os = parts[i];
    if (!["darwin", "linux", "win32", "android", "freebsd", "openbsd", "openharmony", "sunos"].includes(os)) continue;
    const cpu = CPU[parts[i + 1]];
    if (!cpu) return null;
    const abi = parts[i + 2] ?? "";
    const libc =
      os === "linux" && abi.startsWith("musl") ? "musl" : os === "linux" && abi.startsWith("gnu") ? "glibc" : null;
    return { os, cpu, libc };
  }
  return null;
}

function registryEntry(name, version) {
  try {
    const out = execFileSync("npm", ["view", `${name}@${version}`, "--json", "os", "cpu", "libc", "dist.integrity"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    return out.trim() ? JSON.parse(out) : null;
  } catch {
    return null;
  }
}

let added = 0;
for (const [path, pkg] of Object.entries(packages)) {
  for (const [dep, version] of Object.entries(pkg.optionalDependencies ?? {})) {
    const parent = path === "" ? "" : `${path}/`;
    if (packages[`${parent}node_modules/${dep}`] || packages[`node_modules/${dep}`]) continue;
    const platform = platformOf(dep);
    if (!platform) {
      console.warn(`skipped ${dep}@${version} (optional dependency of ${path || "the root"}): not a platform package`);
      continue;
    }
    const known = registryEntry(dep, version);
    const entry = { version, ...(known?.["dist.integrity"] ? { integrity: known["dist.integrity"] } : {}) };
    entry.cpu = known?.cpu ?? [platform.cpu];
    if (pkg.dev) entry.dev = true;
    const libc = known?.libc ?? (platform.libc ? [platform.libc] : null);
    if (libc) entry.libc = libc; // keys in npm's own order, so a later `npm install` leaves the entry alone
    entry.license = "see upstream";
    entry.optional = true;
    entry.os = known?.os ?? [platform.os];
    packages[`node_modules/${dep}`] = entry;
    added++;
    console.log(
      `added ${dep}@${version} (${entry.os}/${entry.cpu}${libc ? `/${libc}` : ""}${known ? "" : ", not on this registry"})`,
    );
  }
}

lock.packages = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => a.localeCompare(b, "en")));
writeFileSync(LOCK, JSON.stringify(lock, null, 2) + "\n");
console.log(`${added} platform package(s) added to ${LOCK}`);
