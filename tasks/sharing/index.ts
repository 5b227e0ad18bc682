import "./provider";
import "./authorise";
import "./datasetRegister";
import "./datasetShow";
import "./share";
import "./revoke";
import "./request";
import "./receive";
