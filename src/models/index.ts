// nb.models: the architectures of the course. Each is a function ({numClasses, ...}) → Module.
export { typicalCnn, TypicalCNN, type TypicalCnnOptions } from "./typical-cnn.js";
export { lenet5, LeNet5 } from "./lenet5.js";
export { fashionCnn, FashionCNN } from "./fashion-cnn.js";
