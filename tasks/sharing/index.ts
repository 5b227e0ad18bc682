import "./provider";
import "./datasetRegister";
import "./datasetShow";
import "./share";
import "./revoke";
import "./request";
import "./receive";
