// Grid network model tasks (P003): the M/M/1/K queue, routing one case, and the paper experiment.
import "./queue";
import "./route";
import "./experiment";
