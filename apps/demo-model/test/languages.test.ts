import { describe, expect, it } from 'vitest';
import { CLASSES, createRandom, LANGUAGES, randomCaption } from '../src/index.js';

describe('caption languages', () => {
  it('covers at least six languages, with Chinese, Arabic and more non-Latin scripts', () => {
    const codes = LANGUAGES.map((l) => l.code);
    expect(codes.length).toBeGreaterThanOrEqual(6);
    expect(codes).toEqual(expect.arrayContaining(['en', 'zh', 'ar', 'ru', 'hi', 'ja']));
  });

  it.each(LANGUAGES.map((l) => [l.name, l] as const))('%s names every class differently', (_, language) => {
    const labels = CLASSES.map((cls) => language.label(cls));
    expect(new Set(labels).size).toBe(CLASSES.length);
    expect(language.template).toContain('{}');
    const owner = new Map<string, number>();
    CLASSES.forEach((cls, index) => {
      const captions = language.captions(cls);
      expect(captions.length).toBeGreaterThanOrEqual(5);
      for (const caption of captions) {
        expect(caption).not.toContain('\u200b');
        // A caption shared by two classes would be a contradictory training pair.
        expect(owner.get(caption) ?? index).toBe(index);
        owner.set(caption, index);
      }
    });
  });

  it('agrees adjectives with the noun gender', () => {
    const label = (code: string, colour: string, shape: string) =>
      LANGUAGES.find((l) => l.code === code)!.label(
        CLASSES.find((c) => c.colour === colour && c.shape === shape)!,
      );
    expect(label('ar', 'red', 'circle')).toBe('دائرة حمراء');
    expect(label('ar', 'red', 'square')).toBe('مربع أحمر');
    expect(label('ru', 'blue', 'star')).toBe('синяя звезда');
    expect(label('fr', 'green', 'star')).toBe('une étoile verte');
    expect(label('es', 'yellow', 'circle')).toBe('un círculo amarillo');
  });

  it('samples captions from every language', () => {
    const random = createRandom(1);
    const seen = new Set<string>();
    for (let i = 0; i < 400; i++) seen.add(randomCaption(random, CLASSES[i % 16]).language);
    expect(seen.size).toBe(LANGUAGES.length);
  });
});
