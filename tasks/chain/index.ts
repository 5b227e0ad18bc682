import "./deploy";
import "./policy";
import "./anchor";
import "./verify";
import "./batches";
import "./streamReset";
