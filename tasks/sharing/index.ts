import "./provider";
import "./dataset";
import "./share";
import "./receive";
