import "./register";
import "./list";
import "./status";
import "./rotate";
