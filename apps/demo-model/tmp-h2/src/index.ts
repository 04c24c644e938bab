export {
  type CaptionedExample,
  type Example,
  evaluationSet,
  RENDER_SIZE,
  shapeBatch,
  trainingBatch,
} from './data.js';
export { type LanguageAccuracy, zeroShotAccuracy } from './evaluate.js';
export { EXAMPLE_IMAGES, EXAMPLE_SIZE, writeExampleImages } from './examples.js';
export {
  captionCorpus,
  DEFAULT_HYPOTHESIS_TEMPLATE,
  LANGUAGES,
  type Language,
  randomCaption,
  randomShapeCaption,
} from './languages.js';
export {
  demoConfig,
  IMAGE_SIZE,
  MAX_TEXT_LENGTH,
  PREPROCESSOR,
  preprocessorConfigJSON,
  VOCAB_SIZE,
} from './model-config.js';
export { createRandom, pick, type Random, shuffled } from './random.js';
export {
  type Background,
  CLASSES,
  COLOURS,
  type Colour,
  classIndex,
  randomScene,
  renderScene,
  type Scene,
  SHAPES,
  type Shape,
  type ShapeClass,
} from './shapes.js';
export {
  normalizeText,
  preTokenize,
  tokenizerFiles,
  trainUnigram,
  type VocabEntry,
  viterbi,
  WORD_BREAK,
} from './tokenizer-files.js';
export { type TrainDemoOptions, type TrainDemoResult, trainDemoModel } from './train-demo.js';
