// Registers every task group; imported once by hardhat.config.ts.
import "./governance";
import "./chain";
import "./terminals";
import "./route";
import "./validate";
import "./pipeline";
import "./naming";
import "./sharing";
import "./bench";
import "./sdk";
import "./remix";
import "./gateway";
