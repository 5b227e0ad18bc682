import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { defineConfig, type Plugin } from "vite";

const ROOT = resolve(__dirname, "..");
const DEPLOYMENTS = join(ROOT, "deployments");

/**
 * Serves the project's deployments/<network>-<chainId>.json files at /deployments/ while developing, so the page
 * finds the addresses that `grid:deploy` recorded. A static build reads them from the same relative path.
 */
function deploymentsFolder(): Plugin {
  return {
    name: "gridledger-deployments",
    configureServer(server) {
      server.middlewares.use("/deployments", (req, res, next) => {
        const name = (req.url ?? "").replace(/^\//, "").split("?")[0];
        const file = join(DEPLOYMENTS, name);
        if (!/^[\w.-]+\.json$/.test(name) || !existsSync(file)) return next();
        res.setHeader("content-type", "application/json");
        res.end(readFileSync(file));
      });
    },
  };
}

export default defineConfig({
  root: __dirname,
  base: "./",
  plugins: [deploymentsFolder()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    // ethers, zod and the WebAssembly keccak make one ~540 kB chunk (190 kB gzipped): fine for a tool page.
    chunkSizeWarningLimit: 800,
    rollupOptions: {
      onwarn(warning, warn) {
        // zod ships /*#__PURE__*/ comments in places Rollup ignores; harmless.
        if (warning.code === "INVALID_ANNOTATION") return;
        warn(warning);
      },
    },
  },
  server: { host: "127.0.0.1", port: 5173 },
  preview: { host: "127.0.0.1", port: 4173 },
});
