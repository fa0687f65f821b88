import { costYuan, OPT_OUT_WORDING, placeholdersOf, segments } from '../../functions/campaign/smsText';

const SIGN = '示例商城'; // billed as 【示例商城】: 6 characters
const chinese = (n: number) => '惠'.repeat(n);

describe('SMS billing', () => {
  it('bills up to 70 characters, signature included, as one segment', () => {
    expect(segments(chinese(64), SIGN)).toBe(1); // 70
    expect(segments(chinese(65), SIGN)).toBe(2); // 71
  });

  it('bills longer messages per 67 characters', () => {
    expect(segments(chinese(128), SIGN)).toBe(2); // 134 = 2 × 67
    expect(segments(chinese(129), SIGN)).toBe(3); // 135
    expect(segments(chinese(195), SIGN)).toBe(3); // 201 = 3 × 67
    expect(segments(chinese(196), SIGN)).toBe(4);
  });

  it('counts code points: an emoji is one character, whatever its UTF-16 length', () => {
    expect(segments(`${chinese(63)}🎁`, SIGN)).toBe(1);
    expect(segments(`${chinese(63)}🎁🎁`, SIGN)).toBe(2);
  });

  it('counts the signature in the bill', () => {
    expect(segments(chinese(60), '一个很长的商城签名')).toBe(2); // 11 + 60
  });

  it('prices segments in yuan without floating-point noise', () => {
    expect(costYuan(3, 0.045)).toBe(0.135);
    expect(costYuan(0, 0.045)).toBe(0);
    expect(() => costYuan(1.5, 0.045)).toThrow(RangeError);
    expect(() => costYuan(1, -1)).toThrow(RangeError);
  });
});

describe('SMS templates', () => {
  it('lists placeholders once each, in order of first appearance', () => {
    expect(placeholdersOf('${name}您好，${item}降价了，${name}快来')).toEqual(['name', 'item']);
    expect(placeholdersOf('没有占位符')).toEqual([]);
  });

  it('has the opt-out wording promotional messages end with', () => {
    expect(OPT_OUT_WORDING).toBe('拒收请回复R');
  });
});
