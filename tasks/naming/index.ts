import "./register";
import "./set";
import "./resolve";
import "./transfer";
import "./list";
