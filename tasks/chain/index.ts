import "./deploy";
import "./terminal";
import "./policy";
import "./anchor";
import "./verify";
import "./batches";
