// nb.datasets: standard image and text datasets from files on disk (nothing is downloaded at run time).
export { ImageDataset } from "./image-dataset.js";
export { mnist, mnistClasses, type MnistOptions } from "./mnist.js";
export { fashionMnist, fashionMnistClasses, type FashionMnistOptions } from "./fashion-mnist.js";
export { cifar10, cifar10Classes, type Cifar10Options } from "./cifar10.js";
export { imageFolder, ImageFolder, type ImageFolderOptions, type ImageSample } from "./image-folder.js";
export { clearCache } from "./raw-images.js";
export type { Split } from "./data-folder.js";
export { text, TextDataset, CharVocabulary, type TextOptions } from "./text.js";
export { mobyDick, mobyDickPath, type MobyDickOptions } from "./moby-dick.js";
export { shapes, ShapesDataset, SHAPE_KINDS, type ShapesOptions, type ShapeKind } from "./shapes.js";
export { vocDetection, VocDetection, VOC_CLASSES, type VocDetectionOptions, type VocTarget } from "./voc-detection.js";
