import { pick, type Random } from './random.js';
import type { Colour, Shape, ShapeClass } from './shapes.js';
import { WORD_BREAK } from './tokenizer-files.js';

/** Joins the words of a caption written without spaces, keeping the boundaries as hints for the tokenizer trainer. */
const words = (...parts: string[]): string => parts.join(WORD_BREAK);
const plain = (text: string): string => text.replaceAll(WORD_BREAK, '');

/**
 * How one language names the classes. `captions` are the training paraphrases (natural grammar: gender,
 * case and article agree with the shape); `label` + `template` are what a zero-shot user would write.
 */
export interface Language {
  /** BCP 47 code. */
  readonly code: string;
  readonly name: string;
  /** The class name as a zero-shot label ("red circle", "红色圆形", "دائرة حمراء", ...). */
  label(cls: ShapeClass): string;
  /** Zero-shot hypothesis template; `{}` is replaced by the label. */
  readonly template: string;
  /** Every training caption of a class. */
  captions(cls: ShapeClass): string[];
  /** Captions that name only the shape ("a circle"), for the shape-first batches of training. */
  shapeCaptions(shape: Shape): string[];
}

type Gender = 'm' | 'f';

const english: Language = {
  code: 'en',
  name: 'English',
  label: ({ colour, shape }) => `${colour} ${shape}`,
  template: 'a photo of a {}.',
  captions: ({ colour: c, shape: s }) => [
    `${c} ${s}`,
    `a ${c} ${s}`,
    `a photo of a ${c} ${s}.`,
    `a picture of a ${c} ${s}`,
    `an image of a ${c} ${s}`,
    `a drawing of a ${c} ${s}`,
    `this is a ${c} ${s}.`,
    `the ${s} is ${c}`,
  ],
  shapeCaptions: (s) => [s, `a ${s}`, `a photo of a ${s}.`],
};

const chineseColour: Record<Colour, string> = { red: '红色', green: '绿色', blue: '蓝色', yellow: '黄色' };
const chineseShape: Record<Shape, string> = {
  circle: '圆形',
  square: '正方形',
  triangle: '三角形',
  star: '星形',
};

const chinese: Language = {
  code: 'zh',
  name: 'Chinese',
  label: (cls) => words(chineseColour[cls.colour], chineseShape[cls.shape]),
  template: words('一张', '{}', '的', '照片', '。'),
  captions: (cls) => {
    const c = chineseColour[cls.colour];
    const s = chineseShape[cls.shape];
    return [
      words(c, s),
      words(c, '的', s),
      words('一个', c, '的', s),
      words('一张', c, s, '的', '照片', '。'),
      words('这是', '一个', c, '的', s, '。'),
      words('图', '中', '有', '一个', c, '的', s),
      words(s, '是', c, '的'),
    ];
  },
  shapeCaptions: (shape) => {
    const s = chineseShape[shape];
    return [s, words('一个', s), words('一张', s, '的', '照片', '。')];
  },
};

const japaneseColour: Record<Colour, string> = {
  red: '赤い',
  green: words('緑', 'の'),
  blue: '青い',
  yellow: '黄色い',
};
const japaneseShape: Record<Shape, string> = {
  circle: '円',
  square: '四角形',
  triangle: '三角形',
  star: '星',
};

const japanese: Language = {
  code: 'ja',
  name: 'Japanese',
  label: (cls) => words(japaneseColour[cls.colour], japaneseShape[cls.shape]),
  template: words('{}', 'の', '写真'),
  captions: (cls) => {
    const c = japaneseColour[cls.colour];
    const s = japaneseShape[cls.shape];
    return [
      words(c, s),
      words(c, s, 'の', '写真'),
      words('これは', c, s, 'です', '。'),
      words(c, s, 'の', '絵'),
      words(c, s, 'の', '画像'),
    ];
  },
  shapeCaptions: (shape) => {
    const s = japaneseShape[shape];
    return [s, words(s, 'の', '写真'), words('これは', s, 'です', '。')];
  },
};

const arabicShape: Record<Shape, { word: string; gender: Gender }> = {
  circle: { word: 'دائرة', gender: 'f' },
  square: { word: 'مربع', gender: 'm' },
  triangle: { word: 'مثلث', gender: 'm' },
  star: { word: 'نجمة', gender: 'f' },
};
const arabicColour: Record<Colour, Record<Gender, string>> = {
  red: { m: 'أحمر', f: 'حمراء' },
  green: { m: 'أخضر', f: 'خضراء' },
  blue: { m: 'أزرق', f: 'زرقاء' },
  yellow: { m: 'أصفر', f: 'صفراء' },
};

const arabic: Language = {
  code: 'ar',
  name: 'Arabic',
  label: (cls) => {
    const shape = arabicShape[cls.shape];
    return `${shape.word} ${arabicColour[cls.colour][shape.gender]}`;
  },
  template: 'صورة {}',
  captions: (cls) => {
    const { word, gender } = arabicShape[cls.shape];
    const colour = arabicColour[cls.colour][gender];
    const phrase = `${word} ${colour}`;
    const definite = `ال${word} ال${colour}`;
    const demonstrative = gender === 'f' ? 'هذه' : 'هذا';
    return [
      phrase,
      `صورة ${phrase}`,
      `رسم ${phrase}`,
      `${demonstrative} ${phrase}`,
      definite,
      `صورة ${definite}`,
    ];
  },
  shapeCaptions: (shape) => {
    const { word } = arabicShape[shape];
    return [word, `صورة ${word}`, `ال${word}`];
  },
};

const russianShape: Record<Shape, { nominative: string; genitive: string; gender: Gender }> = {
  circle: { nominative: 'круг', genitive: 'круга', gender: 'm' },
  square: { nominative: 'квадрат', genitive: 'квадрата', gender: 'm' },
  triangle: { nominative: 'треугольник', genitive: 'треугольника', gender: 'm' },
  star: { nominative: 'звезда', genitive: 'звезды', gender: 'f' },
};
const russianColour: Record<Colour, Record<Gender, { nominative: string; genitive: string }>> = {
  red: {
    m: { nominative: 'красный', genitive: 'красного' },
    f: { nominative: 'красная', genitive: 'красной' },
  },
  green: {
    m: { nominative: 'зелёный', genitive: 'зелёного' },
    f: { nominative: 'зелёная', genitive: 'зелёной' },
  },
  blue: { m: { nominative: 'синий', genitive: 'синего' }, f: { nominative: 'синяя', genitive: 'синей' } },
  yellow: {
    m: { nominative: 'жёлтый', genitive: 'жёлтого' },
    f: { nominative: 'жёлтая', genitive: 'жёлтой' },
  },
};

const russian: Language = {
  code: 'ru',
  name: 'Russian',
  label: (cls) => {
    const shape = russianShape[cls.shape];
    return `${russianColour[cls.colour][shape.gender].nominative} ${shape.nominative}`;
  },
  template: 'это {}.',
  captions: (cls) => {
    const shape = russianShape[cls.shape];
    const colour = russianColour[cls.colour][shape.gender];
    const nominative = `${colour.nominative} ${shape.nominative}`;
    const genitive = `${colour.genitive} ${shape.genitive}`;
    const captions = [
      nominative,
      `это ${nominative}.`,
      `на картинке ${nominative}`,
      `фото ${genitive}`,
      `изображение ${genitive}`,
    ];
    // Everyday Russian often writes ё as е; both spellings are taught.
    return [...captions, ...captions.filter((c) => c.includes('ё')).map((c) => c.replaceAll('ё', 'е'))];
  },
  shapeCaptions: (shape) => {
    const { nominative, genitive } = russianShape[shape];
    return [nominative, `это ${nominative}.`, `фото ${genitive}`];
  },
};

const hindiShape: Record<Shape, { direct: string; oblique: string }> = {
  circle: { direct: 'वृत्त', oblique: 'वृत्त' },
  square: { direct: 'वर्ग', oblique: 'वर्ग' },
  triangle: { direct: 'त्रिभुज', oblique: 'त्रिभुज' },
  star: { direct: 'तारा', oblique: 'तारे' },
};
// All four shape nouns are masculine; the -ā adjectives take -e in the oblique case.
const hindiColour: Record<Colour, { direct: string; oblique: string }> = {
  red: { direct: 'लाल', oblique: 'लाल' },
  green: { direct: 'हरा', oblique: 'हरे' },
  blue: { direct: 'नीला', oblique: 'नीले' },
  yellow: { direct: 'पीला', oblique: 'पीले' },
};

const hindi: Language = {
  code: 'hi',
  name: 'Hindi',
  label: (cls) => `${hindiColour[cls.colour].direct} ${hindiShape[cls.shape].direct}`,
  template: 'यह एक {} है।',
  captions: (cls) => {
    const direct = `${hindiColour[cls.colour].direct} ${hindiShape[cls.shape].direct}`;
    const oblique = `${hindiColour[cls.colour].oblique} ${hindiShape[cls.shape].oblique}`;
    return [direct, `एक ${direct}`, `यह एक ${direct} है।`, `${oblique} की तस्वीर`, `${oblique} का चित्र`];
  },
  shapeCaptions: (shape) => {
    const { direct, oblique } = hindiShape[shape];
    return [direct, `एक ${direct}`, `${oblique} की तस्वीर`];
  },
};

const frenchShape: Record<Shape, { word: string; gender: Gender; definite: string }> = {
  circle: { word: 'cercle', gender: 'm', definite: 'le cercle' },
  square: { word: 'carré', gender: 'm', definite: 'le carré' },
  triangle: { word: 'triangle', gender: 'm', definite: 'le triangle' },
  star: { word: 'étoile', gender: 'f', definite: "l'étoile" },
};
const frenchColour: Record<Colour, Record<Gender, string>> = {
  red: { m: 'rouge', f: 'rouge' },
  green: { m: 'vert', f: 'verte' },
  blue: { m: 'bleu', f: 'bleue' },
  yellow: { m: 'jaune', f: 'jaune' },
};

const french: Language = {
  code: 'fr',
  name: 'French',
  label: (cls) => {
    const { word, gender } = frenchShape[cls.shape];
    return `${gender === 'f' ? 'une' : 'un'} ${word} ${frenchColour[cls.colour][gender]}`;
  },
  template: "c'est {}.",
  captions: (cls) => {
    const { word, gender, definite } = frenchShape[cls.shape];
    const colour = frenchColour[cls.colour][gender];
    const article = gender === 'f' ? 'une' : 'un';
    const phrase = `${article} ${word} ${colour}`;
    return [
      `${word} ${colour}`,
      phrase,
      `une photo d'${phrase}`,
      `une image d'${phrase}`,
      `un dessin d'${phrase}`,
      `c'est ${phrase}.`,
      `${definite} est ${colour}`,
    ];
  },
  shapeCaptions: (shape) => {
    const { word, gender } = frenchShape[shape];
    const phrase = `${gender === 'f' ? 'une' : 'un'} ${word}`;
    return [word, phrase, `une photo d'${phrase}`];
  },
};

const spanishShape: Record<Shape, { word: string; gender: Gender }> = {
  circle: { word: 'círculo', gender: 'm' },
  square: { word: 'cuadrado', gender: 'm' },
  triangle: { word: 'triángulo', gender: 'm' },
  star: { word: 'estrella', gender: 'f' },
};
const spanishColour: Record<Colour, Record<Gender, string>> = {
  red: { m: 'rojo', f: 'roja' },
  green: { m: 'verde', f: 'verde' },
  blue: { m: 'azul', f: 'azul' },
  yellow: { m: 'amarillo', f: 'amarilla' },
};

const spanish: Language = {
  code: 'es',
  name: 'Spanish',
  label: (cls) => {
    const { word, gender } = spanishShape[cls.shape];
    return `${gender === 'f' ? 'una' : 'un'} ${word} ${spanishColour[cls.colour][gender]}`;
  },
  template: 'una foto de {}.',
  captions: (cls) => {
    const { word, gender } = spanishShape[cls.shape];
    const colour = spanishColour[cls.colour][gender];
    const phrase = `${gender === 'f' ? 'una' : 'un'} ${word} ${colour}`;
    return [
      `${word} ${colour}`,
      phrase,
      `una foto de ${phrase}.`,
      `una imagen de ${phrase}`,
      `un dibujo de ${phrase}`,
      `es ${phrase}.`,
      `${gender === 'f' ? 'la' : 'el'} ${word} es ${colour}`,
    ];
  },
  shapeCaptions: (shape) => {
    const { word, gender } = spanishShape[shape];
    const phrase = `${gender === 'f' ? 'una' : 'un'} ${word}`;
    return [word, phrase, `una foto de ${phrase}`];
  },
};

/** Captions and labels as the trainer writes them: Chinese and Japanese with WORD_BREAK hints. */
const SEGMENTED: readonly Language[] = [english, chinese, japanese, arabic, russian, hindi, french, spanish];

/** The demo's languages: three Latin-script, plus Chinese, Japanese, Arabic, Cyrillic and Devanagari. */
export const LANGUAGES: readonly Language[] = SEGMENTED.map((language) => ({
  ...language,
  label: (cls: ShapeClass) => plain(language.label(cls)),
  template: plain(language.template),
  captions: (cls: ShapeClass) => language.captions(cls).map(plain),
  shapeCaptions: (shape: Shape) => language.shapeCaptions(shape).map(plain),
}));

/** transformers' default zero-shot template, which users often keep whatever the label's language. */
export const DEFAULT_HYPOTHESIS_TEMPLATE = 'This is a photo of {}.';

/**
 * A random training caption of the class: a paraphrase in a random language or, sometimes, a zero-shot label
 * inside transformers' English default template (so that `This is a photo of 红色圆形.` works too).
 */
export function randomCaption(random: Random, cls: ShapeClass): { caption: string; language: string } {
  const language = pick(random, LANGUAGES);
  if (random() < 0.1) {
    return {
      caption: DEFAULT_HYPOTHESIS_TEMPLATE.replace('{}', language.label(cls)),
      language: language.code,
    };
  }
  return { caption: pick(random, language.captions(cls)), language: language.code };
}

/** A random shape-only caption in a random language. */
export function randomShapeCaption(random: Random, shape: Shape): { caption: string; language: string } {
  const language = pick(random, LANGUAGES);
  return { caption: pick(random, language.shapeCaptions(shape)), language: language.code };
}

/**
 * Every text the demo tokenizer must know: all captions and all labels in their templates, with the WORD_BREAK
 * hints of Chinese and Japanese (for `trainUnigram`).
 */
export function captionCorpus(classes: readonly ShapeClass[]): string[] {
  const texts: string[] = [];
  for (const language of SEGMENTED) {
    for (const cls of classes) {
      texts.push(...language.captions(cls));
      texts.push(language.template.replace('{}', language.label(cls)));
      texts.push(DEFAULT_HYPOTHESIS_TEMPLATE.replace('{}', language.label(cls)));
    }
    for (const shape of new Set(classes.map((cls) => cls.shape)))
      texts.push(...language.shapeCaptions(shape));
  }
  return texts;
}
