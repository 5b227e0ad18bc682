import { inspect } from "node:util";
import { scope, task } from "hardhat/config";
import { HardhatPluginError } from "hardhat/plugins";
import type { ActionType, ConfigurableTaskDefinition, TaskArguments } from "hardhat/types";

const GRID_SCOPE_DESCRIPTION = "GridLedger: terminals, anchoring, routing model, validation, pipeline";
export const PLUGIN_NAME = "GridLedger";

/**
 * Hardhat prints the error object (its stack) after the message whenever it thinks it runs on CI, and a Linux
 * server without a display counts as CI. Unless the user asked for --show-stack-traces, the error prints as the
 * hint Hardhat gives everywhere else, so the output stays the one message line.
 */
function withoutStackUnlessAsked(error: HardhatPluginError, showStackTraces: boolean): HardhatPluginError {
  if (!showStackTraces) {
    Object.defineProperty(error, inspect.custom, {
      value: () => "For more info run hardhat with --show-stack-traces",
      configurable: true,
    });
  }
  return error;
}

/**
 * Rethrows any failure as a HardhatPluginError, so users see one clear line ("Error in plugin GridLedger: ...")
 * instead of "An unexpected error occurred" and a stack (still shown with --show-stack-traces).
 */
function concise(action: ActionType<TaskArguments>): ActionType<TaskArguments> {
  return async (args, hre, runSuper) => {
    try {
      return await action(args, hre, runSuper);
    } catch (e) {
      const showStackTraces = hre.hardhatArguments.showStackTraces === true;
      if (e instanceof HardhatPluginError) throw withoutStackUnlessAsked(e, showStackTraces);
      const error = e instanceof Error ? e : new Error(String(e));
      throw withoutStackUnlessAsked(new HardhatPluginError(PLUGIN_NAME, error.message, error), showStackTraces);
    }
  };
}

/**
 * Defines a GridLedger task once and registers it twice: in the `grid` scope (`npx hardhat grid <name>`) and as
 * `grid:<name>` (`npx hardhat grid:<name>`, the form the docs use). `configure` adds params and the action.
 */
export function gridTask(
  name: string,
  description: string,
  configure: (definition: ConfigurableTaskDefinition) => ConfigurableTaskDefinition,
): void {
  for (const definition of [
    scope("grid", GRID_SCOPE_DESCRIPTION).task(name, description),
    task(`grid:${name}`, description),
  ]) {
    configure(definition);
    const { action } = definition as unknown as { action: ActionType<TaskArguments> };
    definition.setAction(concise(action));
  }
}
