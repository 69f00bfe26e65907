// nb.models: the architectures of the course. Each is a function ({numClasses, ...}) → Module.
// The ImageNet models carry torchvision's module names, so their state dicts (keys and shapes)
// are torchvision's and its weights load with loadStateDict.
export { typicalCnn, TypicalCNN, type TypicalCnnOptions } from "./typical-cnn.js";
export { lenet5, LeNet5, type LeNet5Options } from "./lenet5.js";
export {
  lenet5Original, LeNet5Original, ScaledTanh, TrainableSubsampling, ConnectionTableConv2d, RBFOutput, LENET5_C3_TABLE,
  type LeNet5OriginalOptions,
} from "./lenet5-1998.js";
export { fashionCnn, FashionCNN, type FashionCnnOptions } from "./fashion-cnn.js";
export { alexnet, AlexNet, type AlexNetOptions } from "./alexnet.js";
export { zfnet, ZFNet, type ZFNetOptions } from "./zfnet.js";
export { vgg11, vgg13, vgg16, vgg19, VGG, vggFeatures, VGG_CONFIGS, type VggConfig, type VggOptions } from "./vgg.js";
export {
  googlenet, googlenetLoss, GoogLeNet, Inception, InceptionAux, type GoogLeNetOptions, type GoogLeNetOutputs,
} from "./googlenet.js";
export {
  inceptionV3, inceptionV3Loss, Inception3, InceptionA, InceptionB, InceptionC, InceptionD, InceptionE,
  InceptionAux as InceptionV3Aux, type InceptionV3Options, type InceptionV3Outputs,
} from "./inception-v3.js";
export {
  resnet18, resnet34, resnet50, resnet101, resnet152, wideResnet50_2, ResNet, BasicBlock, Bottleneck,
  type ResNetOptions, type BlockOptions, type ResidualBlock,
} from "./resnet.js";
export { seResnet50, SEBottleneck, SqueezeExcitation } from "./se-resnet.js";
export { BasicConv2d } from "./basic-conv.js";
export type { ZooInitOptions } from "./deferred-init.js";
export { seqLstm, SeqLSTM, type SeqLstmOptions } from "./seq-lstm.js";
export { charLstm, charLstmLoss, CharLSTM, type CharLstmOptions, type LstmState } from "./char-lstm.js";
export { sampleText, sampleIndex, type SampleTextOptions, type CharCodec } from "./sample-text.js";
export { autoencoder, Autoencoder, type AutoencoderOptions, type AutoencoderKind } from "./autoencoder.js";
export { vae, VAE, vaeLoss, type VaeOptions, type VaeLossOptions, type ReparameterizeOptions } from "./vae.js";
export {
  dcgan, DCGANGenerator, DCGANDiscriminator, dcganWeightsInit, DCGAN_IMAGE_SIZES, type DcganWeightsInitOptions,
  type DCGAN, type DcganOptions, type DcganGeneratorOptions, type DcganDiscriminatorOptions,
} from "./dcgan.js";
