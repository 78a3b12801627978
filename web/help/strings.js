// The help page's own words (its frame and what each harm looks like). The advice to each
// audience and the help lines are not here: they come from data/text/guidance.json through
// the server, as in every verdict.
export const strings = {
  en: {
    title: 'Help and support — childguard',
    skip: 'Skip to the content',
    nav_label: 'Pages', nav_help: 'Help', nav_selfhash: 'Stop an image spreading', nav_review: 'Review console',
    h1: 'Help and support',
    intro: 'Something happened online that worried you? You are not alone, and it is not your fault. Here is what it can look like, what to do now, and who can help.',
    now_h: 'What to do now',
    now: [
      'It is not your fault.',
      "Don't pay and don't send anything more, even if someone threatens you.",
      "Don't delete the messages: take screenshots. They are evidence.",
      'Block and report the account in the app.',
      'Tell someone you trust: a parent, a carer, a teacher or another adult you feel safe with.',
      'Call or message a help line (below).',
    ],
    topics_h: 'What it can look like', toc_label: 'Topics', loading: 'Loading…',
    aud_recipient: 'If it is happening to you',
    aud_sender: 'If you did this to someone',
    aud_guardian: 'For parents, carers and teachers',
    not_too_late: 'It is not too late to put things right: stop, delete what you shared of someone else, and talk to an adult you trust.',
    who_helps: 'Who can help',
    lines_h: 'Where to turn',
    lines_for: (c) => `Help lines for ${c === 'default' ? 'everywhere' : c}, as configured on this server:`,
    source_note: 'The advice and help lines on this page come from the same catalogue childguard uses for its own messages.',
    load_failed: 'The help texts could not be loaded. Please reload the page. If you need help now, tell an adult you trust.',
  },
  vi: {
    title: 'Trợ giúp và hỗ trợ — childguard',
    skip: 'Chuyển đến nội dung',
    nav_label: 'Các trang', nav_help: 'Trợ giúp', nav_selfhash: 'Ngăn ảnh bị lan truyền', nav_review: 'Trang kiểm duyệt',
    h1: 'Trợ giúp và hỗ trợ',
    intro: 'Có chuyện gì trên mạng khiến em lo lắng? Em không đơn độc, và đó không phải lỗi của em. Dưới đây là những dấu hiệu, việc cần làm ngay và những nơi có thể giúp em.',
    now_h: 'Việc cần làm ngay',
    now: [
      'Đó không phải lỗi của em.',
      'Đừng trả tiền và đừng gửi thêm gì, kể cả khi bị đe dọa.',
      'Đừng xóa tin nhắn: hãy chụp màn hình lại. Đó là bằng chứng.',
      'Chặn và báo cáo tài khoản đó trên ứng dụng.',
      'Kể với người em tin tưởng: bố mẹ, người chăm sóc em, thầy cô hoặc một người lớn khác mà em thấy an toàn.',
      'Gọi hoặc nhắn tin cho đường dây trợ giúp (bên dưới).',
    ],
    topics_h: 'Những dấu hiệu cần biết', toc_label: 'Chủ đề', loading: 'Đang tải…',
    aud_recipient: 'Nếu điều này đang xảy ra với em',
    aud_sender: 'Nếu em đã làm điều này với ai đó',
    aud_guardian: 'Dành cho cha mẹ, người chăm sóc và thầy cô',
    not_too_late: 'Vẫn chưa muộn để sửa sai: hãy dừng lại, xóa những gì em đã chia sẻ về người khác và nói chuyện với một người lớn em tin tưởng.',
    who_helps: 'Ai có thể giúp',
    lines_h: 'Tìm sự giúp đỡ ở đâu',
    lines_for: (c) => `Các đường dây trợ giúp ${c === 'default' ? 'chung' : 'cho ' + c} theo cấu hình của máy chủ này:`,
    source_note: 'Lời khuyên và các đường dây trợ giúp trên trang này lấy từ cùng một danh mục mà childguard dùng cho các thông báo của mình.',
    load_failed: 'Không tải được nội dung trợ giúp. Hãy tải lại trang. Nếu em cần giúp ngay, hãy kể với một người lớn em tin tưởng.',
  },
};

// What each harm looks like, in short, kind words. The keys are the catalogue's topics.
export const topicInfo = {
  grooming: {
    en: { title: 'Grooming: someone winning your trust to harm you',
      looks: 'Someone online, often older, gives you lots of attention or gifts, asks you to keep your chats secret, wants to move to a private app, or asks for photos. Real friends do not ask you to hide things from the adults who care for you.' },
    vi: { title: 'Dụ dỗ (grooming): lấy lòng tin để làm hại em',
      looks: 'Một người trên mạng, thường lớn tuổi hơn, dành cho em rất nhiều sự quan tâm hoặc quà tặng, bảo em giữ bí mật chuyện trò chuyện, muốn chuyển sang ứng dụng riêng hoặc xin ảnh của em. Người bạn thật sự không bắt em giấu những người lớn yêu thương em.' },
  },
  sextortion: {
    en: { title: 'Sextortion: threats to share intimate images',
      looks: 'Someone has an intimate photo or video of you, or says they do, and threatens to share it unless you pay or send more. This is a crime, and it is not your fault.' },
    vi: { title: 'Tống tiền bằng hình ảnh nhạy cảm',
      looks: 'Ai đó có, hoặc nói là có, ảnh hay video nhạy cảm của em và đe dọa phát tán nếu em không trả tiền hoặc gửi thêm. Đây là tội phạm, và đó không phải lỗi của em.' },
  },
  ncii: {
    en: { title: 'Intimate images shared without consent',
      looks: 'A private photo or video of you was shared, or someone threatens to share it, without your agreement. You can ask platforms to stop it spreading without sending the image to anyone: see the page "Stop an image spreading".' },
    vi: { title: 'Ảnh riêng tư bị chia sẻ khi chưa được đồng ý',
      looks: 'Ảnh hoặc video riêng tư của bạn bị chia sẻ, hoặc có người đe dọa chia sẻ, khi bạn chưa đồng ý. Bạn có thể đề nghị các nền tảng ngăn ảnh lan truyền mà không phải gửi ảnh cho ai: xem trang "Ngăn ảnh bị lan truyền".' },
  },
  sexual_solicitation: {
    en: { title: 'Sexual messages or requests',
      looks: 'Someone sends you sexual messages or pictures, or asks you for them. You can say no, stop replying, block them and tell someone.' },
    vi: { title: 'Tin nhắn hoặc lời đề nghị tình dục',
      looks: 'Ai đó gửi cho em tin nhắn hay hình ảnh tình dục, hoặc đòi em gửi. Em có quyền từ chối, ngừng trả lời, chặn người đó và kể với người em tin tưởng.' },
  },
  bullying: {
    en: { title: 'Cyberbullying',
      looks: 'Mean messages, rumours, embarrassing photos, or leaving someone out on purpose, again and again. Nobody deserves to be treated like this.' },
    vi: { title: 'Bắt nạt trên mạng',
      looks: 'Tin nhắn ác ý, tin đồn, ảnh làm bẽ mặt hoặc cố tình cô lập ai đó, lặp đi lặp lại. Không ai đáng bị đối xử như vậy.' },
  },
  self_harm_risk: {
    en: { title: 'When you feel like hurting yourself',
      looks: 'If you are thinking about hurting yourself, you are not alone and you deserve help right now. Talk to someone you trust or call a help line.' },
    vi: { title: 'Khi em muốn làm hại bản thân',
      looks: 'Nếu em đang nghĩ đến việc làm hại bản thân, em không đơn độc và em xứng đáng được giúp đỡ ngay bây giờ. Hãy nói với người em tin tưởng hoặc gọi đường dây trợ giúp.' },
  },
  personal_data: {
    en: { title: 'Sharing personal information',
      looks: 'Your address, school, phone number or passwords can be used to find you or put pressure on you. Keep them private online, even with people who seem friendly.' },
    vi: { title: 'Chia sẻ thông tin cá nhân',
      looks: 'Địa chỉ, trường học, số điện thoại hay mật khẩu của em có thể bị dùng để tìm em hoặc gây áp lực lên em. Hãy giữ kín chúng trên mạng, kể cả với những người có vẻ thân thiện.' },
  },
};
