// nb.transforms: data normalisation and augmentation for images [C, H, W] / [N, C, H, W]
// (torchvision's transforms) and fitted feature scalers for tables and images.
//
// Convention: every transform is an object with apply(x), returning a new tensor (and `fn`, the
// same as a plain function). DataLoader's transform options take the object itself:
//   const augment = new nb.transforms.Compose([new nb.transforms.RandomCrop(28, { padding: 2 }), new nb.transforms.RandomRotation(10)]);
//   new nb.data.DataLoader(ds, { batchSize: 64, shuffle: true, transform: augment });
// Random transforms take { generator } (default: the global generator, so nb.manualSeed makes
// them reproducible) and draw fresh parameters for every image of a batch.
export { Transform, type TransformLike } from "./transform.js";
export { Compose } from "./compose.js";
export { Normalize } from "./normalize.js";
export { Standardize, MinMaxScale, type StandardizeOptions, type MinMaxScaleOptions } from "./scalers.js";
export { RandomHorizontalFlip, RandomVerticalFlip } from "./flip.js";
export { RandomRotation, rotate, type RandomRotationOptions, type RotateOptions } from "./rotation.js";
export { RandomAffine, affine, type RandomAffineOptions, type AffineOptions, type AffineParams } from "./affine.js";
export { type Interpolation } from "./sampler.js";
export { type ResizeInterpolation } from "./resample.js";
export { type PaddingMode } from "./padding.js";
export { Resize, type ResizeOptions } from "./resize.js";
export { CenterCrop } from "./center-crop.js";
export { RandomCrop, type RandomCropOptions } from "./random-crop.js";
export { RandomResizedCrop, type RandomResizedCropOptions } from "./random-resized-crop.js";
export { ColorJitter, type ColorJitterOptions } from "./color-jitter.js";
export { adjustBrightness, adjustContrast, adjustSaturation, adjustHue } from "./color.js";
export { GaussianBlur } from "./blur.js";
export { GaussianNoise, type GaussianNoiseOptions } from "./noise.js";
export { type RandomTransformOptions } from "./image.js";
