import { setupLangSwitch } from './common/i18n.js';

const strings = {
  en: { title: 'childguard', skip: 'Skip to the content', h1: 'childguard',
    help: 'Help and support: what grooming, sextortion and bullying look like, and who can help',
    selfhash: 'Stop an intimate image spreading, without sending it to anyone',
    review: 'Review console (for moderators)' },
  vi: { title: 'childguard', skip: 'Chuyển đến nội dung', h1: 'childguard',
    help: 'Trợ giúp: những dấu hiệu của dụ dỗ, tống tiền bằng hình ảnh, bắt nạt và nơi có thể giúp em',
    selfhash: 'Ngăn ảnh riêng tư bị lan truyền mà không phải gửi ảnh cho ai',
    review: 'Trang kiểm duyệt (dành cho người kiểm duyệt)' },
};
setupLangSwitch(strings, () => {});
